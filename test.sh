#!/usr/bin/env bash
# Every test of the project, on a fresh Debian machine with the .NET 10 SDK (as root, or with sudo):
# installs the system packages the tests use, builds in Release (warnings are errors), runs the xunit
# suites, the end-to-end runner's smoke and a short fuzzing run, and ends with one plain line
# "N passed, N failed". .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

fail() {
  echo "error: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK (dotnet) is not on PATH; install .NET SDK 10 first"

# System packages: prlimit (util-linux) for the descriptor-limit tests, AFL++ for the fuzzing run,
# redis-server for the Redis discovery tests (each starts its own), iproute2 (ip netns) for the
# multi-host suite, chromium for the load tool's HTML report test (headless, from file://).
missing=()
command -v prlimit >/dev/null 2>&1 || missing+=(util-linux)
command -v afl-fuzz >/dev/null 2>&1 || missing+=(afl++)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || fail "apt-get update failed; the tests need: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null || fail "could not install ${missing[*]}"
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

dotnet --info | sed -n '1,3p'
dotnet restore PeerEngine.sln
dotnet build PeerEngine.sln -c Release --no-restore

status=0
dotnet test PeerEngine.sln -c Release --no-build --filter "Category!=Soak" --logger "trx" --results-directory "$results" || status=$?

# The soak in a test process of its own: it checks the process's memory and that every pooled block
# and buffer comes back, which counters shared with the rest of the suite cannot tell apart.
dotnet test tests/PeerEngine.Tests -c Release --no-build --filter "Category=Soak" --logger "trx" --results-directory "$results" || status=$?

passed=0
failed=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

# Scripts that count as one test each: the end-to-end runner's smoke (every stack starts, speaks the
# protocol and answers byte for byte; it checks that the runner works, not the speed), and a short
# fuzzing run of every parser that a peer or another process feeds (fuzz/README.md: about a minute).
run_script() { # name, command...
  local name=$1
  shift
  if "$@" > "$results/$name.log" 2>&1; then
    passed=$((passed + 1))
  else
    echo "$name failed:" >&2
    tail -20 "$results/$name.log" >&2
    failed=$((failed + 1))
    status=1
  fi
}
run_script smoke bash bench/smoke.sh
run_script fuzz bash fuzz/run.sh all 15

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The test run failed without a failed test (a crash, a build break): count it as one failure.
  failed=1
fi

echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
