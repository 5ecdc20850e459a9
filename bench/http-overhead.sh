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
    dotnet "$bench_dll" streams "$2" "$3" "$n" "$key" "$rounds" > "$work/streams-$1-$n.txt" || true
    printf '%-9s %s\n' "$1" "$(cat "$work/streams-$1-$n.txt")"
  done
done

# The issue's table: what MrPrompt and YARP add to the upstream itself, against the goals.
ms() { awk -v q="$2" '$1==q { v=$2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; print v }' "$work/$1.txt"; }
rps() { awk '/Requests\/sec/ { print $2 }' "$work/$1.txt"; }
field() { tr ' ' '\n' < "$work/streams-$1.txt" | awk -F= -v k="$2" '$1==k { print $2 }'; }
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", a - b }'; }
share() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%", 100 * a / b }'; }
echo
echo "| measure | YARP | MrPrompt | goal |"
echo "| --- | --- | --- | --- |"
for t in yarp mrprompt; do
  eval "c1_$t=\"$(added "$(ms $t-c1 50%)" "$(ms direct-c1 50%)") / $(added "$(ms $t-c1 99%)" "$(ms direct-c1 99%)") ms\""
  eval "c64_$t=\"$(share "$(rps $t-c64)" "$(rps direct-c64)")\""
  eval "s1_$t=\"$(added "$(field $t-1 ttft_p50_ms)" "$(field direct-1 ttft_p50_ms)") ms\""
  eval "s64_$t=\"$(added "$(field $t-64 ttft_p50_ms)" "$(field direct-64 ttft_p50_ms)") / $(added "$(field $t-64 ttft_p99_ms)" "$(field direct-64 ttft_p99_ms)") ms\""
  eval "s512_$t=\"$(added "$(field $t-512 ttft_p99_ms)" "$(field direct-512 ttft_p99_ms)") ms, $(field $t-512 stalled_over_200ms)\""
done
echo "| whole answer, c=1, p50 / p99 added | $c1_yarp | $c1_mrprompt | ≤ +0.5 / ≤ +1 ms |"
echo "| whole answer, c=64, share of direct requests/s | $c64_yarp | $c64_mrprompt | ≥ 97 % |"
echo "| stream, 1 at a time, first token p50 added | $s1_yarp | $s1_mrprompt | ≤ +1 ms |"
echo "| 64 streams at once, first token p50 / p99 added | $s64_yarp | $s64_mrprompt | ≤ +3 / ≤ +5 ms |"
echo "| 512 streams, first token p99 added, stalls > 200 ms | $s512_yarp | $s512_mrprompt | ≤ +20 ms, 0 |"
