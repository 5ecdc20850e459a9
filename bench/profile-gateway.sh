#!/usr/bin/env bash
# Where MrPrompt's time goes under each load of http-overhead.sh: a CPU-sampling dotnet-trace of the
# app while the load runs, reported as the methods most often on the stack (inclusive) and at its top
# (exclusive), plus dotnet-counters' runtime figures (CPU, allocation rate, GC, thread pool).
# Not part of CI. Usage: bash bench/profile-gateway.sh [case ...]; cases: whole-c1 whole-c64 streams-64 streams-512
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-trace >/dev/null || dotnet tool install -g dotnet-trace --version 10.0.750501 >/dev/null
command -v dotnet-counters >/dev/null || dotnet tool install -g dotnet-counters --version 10.0.750501 >/dev/null
source bench/start-servers.sh
cases=("${@:-whole-c1 whole-c64 streams-64 streams-512}")
cases=(${cases[*]})
url=http://127.0.0.1:5303/v1/chat/completions

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
wrk.body = '{"model":"mock/m","messages":[{"role":"user","content":"Say hello"}]}'
LUA

load() { # case seconds
  case "$1" in
    whole-c1) wrk -t1 -c1 -d"$2"s -s "$work/post.lua" "$url" >/dev/null ;;
    whole-c64) wrk -t2 -c64 -d"$2"s -s "$work/post.lua" "$url" >/dev/null ;;
    streams-64) dotnet "$bench_dll" streams "$url" mock/m 64 "$key" $(($2 * 2 / 3)) >/dev/null ;;
    streams-512) dotnet "$bench_dll" streams "$url" mock/m 512 "$key" $(($2 / 2)) >/dev/null ;;
  esac
}

for name in "${cases[@]}"; do
  load "$name" 3 # warm-up
  load "$name" 16 & loader=$!
  sleep 2
  dotnet-counters collect -p "$app_pid" --counters System.Runtime --duration 00:00:00:10 --format csv -o "$work/$name.counters.csv" >/dev/null &
  counters=$!
  dotnet-trace collect -p "$app_pid" --profile cpu-sampling --duration 00:00:00:10 -o "$work/$name.nettrace" >/dev/null 2>&1
  wait "$counters" "$loader" || true
  echo "== $name: runtime counters over 10 s (mean)"
  awk -F, 'NR > 1 { sum[$3] += $5; n[$3]++ } END { for (k in sum) printf "  %-60s %.1f\n", k, sum[k] / n[k] }' "$work/$name.counters.csv" \
    | grep -E "cpu|alloc|gc.collections|pause|thread_pool|lock|working_set" | sort
  echo "== $name: top methods, inclusive"
  dotnet-trace report "$work/$name.nettrace" topN -n 60 --inclusive | tail -n +2
  echo "== $name: top methods, exclusive"
  dotnet-trace report "$work/$name.nettrace" topN -n 30 | tail -n +2
done
