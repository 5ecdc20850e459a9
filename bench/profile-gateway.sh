#!/usr/bin/env bash
# Where MrPrompt's CPU goes under each load of http-overhead.sh: `perf` samples the app (with the
# runtime's perf map, so JIT-compiled methods have names) while the load runs, reported as the
# functions most often at the top of the stack, split by module, plus dotnet-counters' runtime figures
# (CPU, allocation rate, GC, thread pool). dotnet-trace's CPU sampling needs `collect-linux` (kernel
# events) on Linux; its thread-time sampler counts waiting threads too, which hides the CPU.
# Not part of CI. Usage: bash bench/profile-gateway.sh [case ...]; cases: whole-c1 whole-c64 streams-64 streams-512
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$HOME/.dotnet/tools"
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
command -v dotnet-counters >/dev/null || dotnet tool install -g dotnet-counters --version 10.0.750501 >/dev/null
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
source bench/start-servers.sh
cases=(${@:-whole-c1 whole-c64 streams-64 streams-512})
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

echo "== warm-up: 40 s of whole answers, then streams, until tiered compilation settles"
load whole-c64 40
load streams-512 4

for name in "${cases[@]}"; do
  load "$name" 16 & loader=$!
  sleep 3
  dotnet-counters collect -p "$app_pid" --counters System.Runtime --duration 00:00:00:10 --format csv -o "$work/$name.counters.csv" >/dev/null &
  counters=$!
  perf record -F 999 -g -p "$app_pid" -o "$work/$name.perf" -- sleep 10 >/dev/null 2>&1
  wait "$counters" "$loader" || true
  echo "== $name: runtime counters over 10 s (mean per second)"
  awk -F, 'NR > 1 { sum[$3] += $5; n[$3]++ } END { for (k in sum) printf "  %-70s %.2f\n", k, sum[k] / n[k] }' "$work/$name.counters.csv" \
    | grep -E "cpu.time|total_allocated|gc.collections|pause|thread_pool|lock_contentions|jit.compiled_methods" | sort
  echo "== $name: CPU by module"
  perf report -i "$work/$name.perf" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E "^ +[0-9]" | head -8
  echo "== $name: functions at the top of the stack"
  perf report -i "$work/$name.perf" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -E "^ +[0-9]" | head -45 | cut -c1-220
done
