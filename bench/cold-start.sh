#!/usr/bin/env bash
# Cold start of the published app to ready (/health/ready answers 200), with an existing data folder:
# the embedded PostgreSQL is initialised and migrated by a first run, then each measured run starts the
# process, starts the stopped cluster, checks migrations, and serves. Not part of CI.
# Usage: bash bench/cold-start.sh [runs, default 7]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
work=/tmp/mrprompt-cold
mkdir -p "$work"
dotnet publish -c Release MrPrompt.Web -o "$work/app" >/dev/null
chown -R postgres "$work" 2>/dev/null || true
export Database__DataDir="$work/data" ASPNETCORE_URLS=http://127.0.0.1:5310 ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning

start_and_time() { # prints milliseconds from process start to the first 200 from /health/ready
  local begin; begin=$(date +%s%N)
  dotnet "$work/app/MrPrompt.Web.dll" >"$work/app.log" 2>&1 & pid=$!
  until curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5310/health/ready 2>/dev/null | grep -q 200; do sleep 0.02; done
  echo $(( ($(date +%s%N) - begin) / 1000000 ))
  kill -TERM "$pid"; wait "$pid" || true
}

echo "first run (creates and migrates the data folder): $(start_and_time) ms"
times=()
for _ in $(seq 1 "$runs"); do times+=("$(start_and_time)"); done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "runs: $(echo $sorted | tr ' ' ',') ms"
echo "median: $(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms, slowest: $(echo "$sorted" | tail -1) ms"
