#!/usr/bin/env bash
# HTTP overhead of MrPrompt's /v1/chat/completions against a plain YARP hop and the upstream itself,
# all in front of one mock upstream (20 ms per answer; 64 chunks 20 ms apart when streamed).
# Not part of CI. Usage: bash bench/http-overhead.sh [seconds per wrk run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
source bench/start-servers.sh

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA

run() { # name url model connections threads
  local body="{\"model\":\"$3\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"
  sed "/wrk.body/d" -i "$work/post.lua"; echo "wrk.body = '$body'" >> "$work/post.lua"
  wrk -t"$5" -c"$4" -d3s -s "$work/post.lua" "$2" >/dev/null   # warm-up: JIT, pools, caches
  wrk -t"$5" -c"$4" -d"${duration}s" --latency -s "$work/post.lua" "$2" > "$work/$1-c$4.txt"
  printf '%-9s c=%-3s %s  p50=%s p99=%s\n' "$1" "$4" \
    "$(grep 'Requests/sec' "$work/$1-c$4.txt" | tr -s ' ')" \
    "$(awk '$1=="50%"{print $2}' "$work/$1-c$4.txt")" "$(awk '$1=="99%"{print $2}' "$work/$1-c$4.txt")"
}

# Warm-up until tiered compilation settles (about 40 s of load for MrPrompt, which has far more code
# on its path than a proxy): a server that has run for a minute is what is measured, not its JIT.
echo "== warm-up: 40 s of whole answers and 256 streams against each target"
for target in "http://127.0.0.1:5301/v1/chat/completions m" "http://127.0.0.1:5302/v1/chat/completions m" "http://127.0.0.1:5303/v1/chat/completions mock/m"; do
  set -- $target
  sed "/wrk.body/d" -i "$work/post.lua"; echo "wrk.body = '{\"model\":\"$2\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}'" >> "$work/post.lua"
  wrk -t2 -c64 -d40s -s "$work/post.lua" "$1" >/dev/null
  dotnet "$bench_dll" streams "$1" "$2" 256 "$key" >/dev/null || true
done

echo "== whole answers (wrk, ${duration}s each)"
for c in 1 64; do
  threads=$([ "$c" = 1 ] && echo 1 || echo 2)
  run direct   http://127.0.0.1:5301/v1/chat/completions m      "$c" "$threads"
  run yarp     http://127.0.0.1:5302/v1/chat/completions m      "$c" "$threads"
  run mrprompt http://127.0.0.1:5303/v1/chat/completions mock/m "$c" "$threads"
done

echo "== streams (64 chunks 20 ms apart; 1 at a time 50 times, 64 at once 5 times, 512 at once once)"
for spec in "1 50" "64 5" "512 1"; do
  set -- $spec; n=$1; rounds=$2
  for target in "direct http://127.0.0.1:5301/v1/chat/completions m" "yarp http://127.0.0.1:5302/v1/chat/completions m" "mrprompt http://127.0.0.1:5303/v1/chat/completions mock/m"; do
    set -- $target
    printf '%-9s ' "$1"; dotnet "$bench_dll" streams "$2" "$3" "$n" "$key" "$rounds" || true
  done
done
