#!/usr/bin/env bash
# CI smoke of the end-to-end runner: every baseline server, the PeerEngine server, the client and the
# runner start, speak the protocol and check every response, a fraction of a second per scenario.
# It checks that the runner works, not the speed: 15-30 s after the build on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/PeerEngine.Benchmarks -c Release --nologo -v quiet
dotnet bench/PeerEngine.Benchmarks/bin/Release/net10.0/PeerEngine.Benchmarks.dll e2e run --short
