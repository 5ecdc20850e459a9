#!/usr/bin/env bash
# HTTP overhead of MrPrompt's /v1/chat/completions against a plain YARP hop and the upstream itself,
# all in front of one mock upstream (20 ms per answer; 64 chunks 20 ms apart when streamed).
# Not part of CI. Usage: bash bench/http-overhead.sh [seconds per wrk run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
work=/tmp/mrprompt-bench
mkdir -p "$work"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

dotnet build -c Release bench/MrPrompt.Benchmarks >/dev/null
dotnet build -c Release MrPrompt.Web >/dev/null
bench_dll=bench/MrPrompt.Benchmarks/bin/Release/net10.0/MrPrompt.Benchmarks.dll
app_dll=MrPrompt.Web/bin/Release/net10.0/MrPrompt.Web.dll

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# MrPrompt as an operator would run it, on its embedded Postgres, with the mock as a provider and
# limits out of the way (they are checked, not hit).
export Database__DataDir="$work/data" ASPNETCORE_URLS=http://127.0.0.1:5303 ASPNETCORE_ENVIRONMENT=Production
export Providers__mock__Kind=OpenAICompatible Providers__mock__BaseUrl=http://127.0.0.1:5301/v1 Providers__mock__ApiKey=bench
export Providers__mock__Models__0__Id=m Providers__mock__Models__0__InputPrice=0.1 Providers__mock__Models__0__OutputPrice=0.1
export Limits__RequestsPerMinute=100000000 Limits__TokensPerMinute=1000000000 Limits__ApiKeyRequestsPerMinute=100000000 Limits__MaxOpenCallsPerUser=10000
export Logging__LogLevel__Default=Warning Chat__GenerateTitles=false
chown -R postgres "$work" 2>/dev/null || true

dotnet "$bench_dll" mock-upstream 5301 & pids+=($!)
dotnet "$bench_dll" yarp 5302 http://127.0.0.1:5301 & pids+=($!)
dotnet "$app_dll" create-user --email bench@example.com --password 'Bench-pass1' --role Admin >/dev/null 2>&1 || true
key=$(dotnet "$app_dll" create-api-key --email bench@example.com --name "bench $(date +%s)" | grep '^mrp_')
dotnet "$app_dll" & pids+=($!)
for port in 5301 5302 5303; do
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.5; done
done

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
