#!/usr/bin/env bash
# Fuzzes one target (or all, one after another) with afl-fuzz for SECONDS each, then prints per
# target the executions, crashes and hangs from afl's fuzzer_stats. Exits non-zero when any target
# found a crash or a hang, or when afl-fuzz could not run.
#
#   bash fuzz/run.sh TARGET SECONDS      TARGET: frames, hello, error, registry, ring
#   bash fuzz/run.sh all SECONDS
#
# Installs what is missing: afl++ (apt-get, as root) and the SharpFuzz instrumenter as a dotnet tool
# in fuzz/out/tools. Builds Release into fuzz/out/bin and instruments that copy of PeerEngine.dll only.
# Findings go to fuzz/out/findings/TARGET; a crash input belongs in fuzz/crashes/TARGET once fixed.
set -euo pipefail

targets=(frames hello error registry ring)
sharpfuzz_version=2.3.0

usage() {
  echo "usage: bash fuzz/run.sh TARGET|all SECONDS   (targets: ${targets[*]})" >&2
  exit 2
}

[ $# -eq 2 ] || usage
[[ "$2" =~ ^[1-9][0-9]*$ ]] || usage
seconds=$2
if [ "$1" = all ]; then
  selected=("${targets[@]}")
elif [[ " ${targets[*]} " == *" $1 "* ]]; then
  selected=("$1")
else
  usage
fi

fuzz="$(cd "$(dirname "$0")" && pwd)"
out="$fuzz/out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v afl-fuzz >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: afl-fuzz is missing; install the Debian package afl++ as root" >&2
    exit 1
  fi
  echo "Installing afl++..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi

if [ ! -x "$out/tools/sharpfuzz" ]; then
  echo "Installing SharpFuzz.CommandLine $sharpfuzz_version..."
  dotnet tool install SharpFuzz.CommandLine --version "$sharpfuzz_version" --tool-path "$out/tools" >/dev/null
fi

# A fresh copy every run: sharpfuzz instruments in place and must never see an instrumented dll twice.
echo "Building..."
rm -rf "$out/bin"
nice -n 10 dotnet publish "$fuzz/PeerEngine.Fuzz/PeerEngine.Fuzz.csproj" -c Release -o "$out/bin" -v quiet -nologo >/dev/null
"$out/tools/sharpfuzz" "$out/bin/PeerEngine.dll"

# Debian's defaults, not a tuned fuzzing box: a kernel that does not dump cores to a file, CPU
# frequency scaling, and two cores other work shares (no pinning). dotnet itself carries no afl
# instrumentation (SharpFuzz's fork server does the handshake), so afl's binary check is skipped.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_SKIP_BIN_CHECK=1
export AFL_NO_UI=1 AFL_FAST_CAL=1

dotnet="$(command -v dotnet)"
stat_of() { sed -n "s/^$1 *: *//p" "$2" | head -1; }

failed=0
summary=()
for target in "${selected[@]}"; do
  # The corpus and every crash kept after its fix seed the run: a regression is found at once.
  seeds="$out/seeds/$target"
  findings="$out/findings/$target"
  rm -rf "$seeds" "$findings"
  mkdir -p "$seeds" "$out/findings"
  cp "$fuzz/corpus/$target"/* "$seeds"/
  if [ -d "$fuzz/crashes/$target" ]; then
    for crash in "$fuzz/crashes/$target"/*; do
      [ -f "$crash" ] && cp "$crash" "$seeds/crash-$(basename "$crash")"
    done
  fi

  echo "Fuzzing $target for ${seconds}s..."
  # -t: a hang is an input that runs for 5 s. An input takes about 0.1 ms (0.2 to 1 ms for the registry);
  # the margin is for a first run that compiles new code on two busy cores, never for real work.
  status=0
  nice -n 10 afl-fuzz -i "$seeds" -o "$findings" -t 5000 -m none -V "$seconds" \
    -- "$dotnet" "$out/bin/PeerEngine.Fuzz.dll" "$target" > "$out/afl-$target.log" 2>&1 || status=$?

  stats="$findings/default/fuzzer_stats"
  if [ "$status" -ne 0 ] || [ ! -f "$stats" ]; then
    echo "error: afl-fuzz failed on $target (exit $status); last lines of $out/afl-$target.log:" >&2
    tail -20 "$out/afl-$target.log" >&2
    summary+=("$(printf '%-9s %12s %10s %8s %6s' "$target" "-" "-" "failed" "-")")
    failed=1
    continue
  fi

  execs=$(stat_of execs_done "$stats")
  rate=$(stat_of execs_per_sec "$stats")
  crashes=$(stat_of saved_crashes "$stats")
  hangs=$(stat_of saved_hangs "$stats")
  summary+=("$(printf '%-9s %12s %10s %8s %6s' "$target" "$execs" "$rate" "$crashes" "$hangs")")
  if [ "${crashes:-0}" -ne 0 ] || [ "${hangs:-0}" -ne 0 ]; then
    failed=1
    for found in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
      [ -f "$found" ] && echo "found: $found (replay: dotnet $out/bin/PeerEngine.Fuzz.dll $target < FILE)"
    done
  fi
done

echo
printf '%-9s %12s %10s %8s %6s\n' target executions exec/s crashes hangs
printf '%s\n' "${summary[@]}"
exit "$failed"
