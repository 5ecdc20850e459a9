#!/usr/bin/env bash
# The generation queue with real workers: two app processes on one scratch Postgres and a mock upstream that answers
# after 20 ms. Prints claim latency (insert to start, woken by NOTIFY), jobs per second for a burst, runs per job and
# whether a priority job overtakes the burst. Not part of CI. Usage: bash bench/queue.sh [burst, default 10000] [latency jobs, default 500]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/MrPrompt.Benchmarks >/dev/null
dotnet build -c Release MrPrompt.Web >/dev/null
dotnet bench/MrPrompt.Benchmarks/bin/Release/net10.0/MrPrompt.Benchmarks.dll queue MrPrompt.Web/bin/Release/net10.0/MrPrompt.Web.dll "${1:-10000}" "${2:-500}"
