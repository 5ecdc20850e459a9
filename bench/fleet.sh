#!/usr/bin/env bash
# What sharing limits and budgets through Postgres costs, and what a second instance behind nginx buys: whole answers
# (wrk, c=1 and c=64) from the mock upstream directly, from MrPrompt as it was before the fleet work (limits and budgets
# kept in the process; built from git at $before), from MrPrompt now on one instance on its own database, and from two
# instances on another database behind deploy/nginx.conf. All on one PostgreSQL 15 cluster of the script's own, limits and
# a budget on (checked, never hit).
# Not part of CI. Usage: bash bench/fleet.sh [seconds per wrk run, default 10] [commit before, default 8eb5fe0]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
before="${2:-8eb5fe0}"
work=/tmp/mrprompt-fleet-bench
rm -rf "$work"; mkdir -p "$work"; chmod 755 "$work"

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
PATH="$PATH:/usr/sbin:$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"

echo "== building now and $before (Release)"
dotnet build -c Release bench/MrPrompt.Benchmarks >/dev/null
dotnet build -c Release MrPrompt.Web >/dev/null
rm -rf "$work/before"; git worktree add -f "$work/before" "$before" >/dev/null 2>&1
dotnet build -c Release "$work/before/MrPrompt.Web" >/dev/null
bench_dll=bench/MrPrompt.Benchmarks/bin/Release/net10.0/MrPrompt.Benchmarks.dll
now_dll=MrPrompt.Web/bin/Release/net10.0/MrPrompt.Web.dll
before_dll="$work/before/MrPrompt.Web/bin/Release/net10.0/MrPrompt.Web.dll"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx/nginx.pid" ] && nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -s stop 2>/dev/null || true
  runuser -u postgres -- pg_ctl -D "$work/pg" -m fast stop >/dev/null 2>&1 || true
  git worktree remove --force "$work/before" 2>/dev/null || true
}
trap cleanup EXIT

# One cluster: a schema owner for migrations, a role that owns nothing for the app (row-level security holds).
mkdir -p "$work/pg"; chown postgres "$work/pg"; touch "$work/pg.log"; chown postgres "$work/pg.log"
runuser -u postgres -- initdb -D "$work/pg" -A trust -U postgres >/dev/null
runuser -u postgres -- pg_ctl -D "$work/pg" -o "-p 5399 -c max_connections=300" -l "$work/pg.log" start >/dev/null
psql -h 127.0.0.1 -p 5399 -U postgres -qc "CREATE ROLE bench_owner LOGIN; CREATE ROLE mrprompt_app LOGIN PASSWORD 'app';" >/dev/null
for db in before one fleet; do psql -h 127.0.0.1 -p 5399 -U postgres -qc "CREATE DATABASE $db OWNER bench_owner;" >/dev/null; done

# The key ring's certificate, shared by every instance.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=MrPrompt key ring" -keyout "$work/ring.key" -out "$work/ring.crt" 2>/dev/null
openssl pkcs12 -export -inkey "$work/ring.key" -in "$work/ring.crt" -out "$work/keyring.pfx" -passout pass:bench

common() { # database
  export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Chat__GenerateTitles=false
  export ConnectionStrings__Default="Host=127.0.0.1;Port=5399;Database=$1;Username=mrprompt_app;Password=app;Maximum Pool Size=60"
  export ConnectionStrings__Migrations="Host=127.0.0.1;Port=5399;Database=$1;Username=bench_owner"
  export DataProtection__CertificatePath="$work/keyring.pfx" DataProtection__CertificatePassword=bench
  export Providers__mock__Kind=OpenAICompatible Providers__mock__BaseUrl=http://127.0.0.1:5301/v1 Providers__mock__ApiKey=bench
  export Providers__mock__Models__0__Id=m Providers__mock__Models__0__InputPrice=0.1 Providers__mock__Models__0__OutputPrice=0.1
  export Limits__RequestsPerMinute=100000000 Limits__TokensPerMinute=1000000000 Limits__ApiKeyRequestsPerMinute=100000000
  export Limits__MaxOpenCallsPerUser=10000 Limits__DefaultMonthlyBudgetUsd=1000000
}
start() { # dll database port name
  common "$2"
  ASPNETCORE_URLS="http://127.0.0.1:$3" Instance__Name="$4" dotnet "$1" & pids+=($!)
  until curl -s -o /dev/null "http://127.0.0.1:$3/health/ready"; do sleep 0.5; done
}
key_for() { # dll database
  common "$2"
  dotnet "$1" create-user --email bench@example.com --password 'Bench-pass1' --role Admin >/dev/null 2>&1 || true
  dotnet "$1" create-api-key --email bench@example.com --name "bench $(date +%s%N)" | grep '^mrp_'
}

dotnet "$bench_dll" mock-upstream 5301 & pids+=($!)
common before; dotnet "$before_dll" migrate >/dev/null 2>&1
common one; dotnet "$now_dll" migrate >/dev/null 2>&1
common fleet; dotnet "$now_dll" migrate >/dev/null 2>&1
before_key=$(key_for "$before_dll" before)
one_key=$(key_for "$now_dll" one)
fleet_key=$(key_for "$now_dll" fleet)
start "$before_dll" before 5304 before
start "$now_dll" one 5303 one     # on its own database, as a single-instance deployment is
start "$now_dll" fleet 5311 a
start "$now_dll" fleet 5312 b
mkdir -p "$work/nginx"
sed -e "s/127.0.0.1:5001/127.0.0.1:5311/; s/127.0.0.1:5002/127.0.0.1:5312/; s/listen 80;/listen 127.0.0.1:5310;/" deploy/nginx.conf > "$work/nginx/mrprompt.conf"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/nginx/b; proxy_temp_path $work/nginx/p; fastcgi_temp_path $work/nginx/f;
       uwsgi_temp_path $work/nginx/u; scgi_temp_path $work/nginx/s; include $work/nginx/mrprompt.conf; }
NGINX
chmod -R 777 "$work/nginx"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
until curl -s -o /dev/null http://127.0.0.1:5310/health/live; do sleep 0.2; done

run() { # name url model key connections threads
  cat > "$work/post-$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $4"
-- A new question each time: identical ones would join the call before them (in-flight sharing) and measure that instead.
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"model":"$3","messages":[{"role":"user","content":"Say hello ' .. math.random(1, 1000000000) .. ' ' .. counter .. '"}]}')
end
LUA
  wrk -t"$6" -c"$5" -d3s -s "$work/post-$1.lua" "$2" >/dev/null
  wrk -t"$6" -c"$5" -d"${duration}s" --latency -s "$work/post-$1.lua" "$2" > "$work/$1-c$5.txt"
  printf '%-8s c=%-3s %s  p50=%s p99=%s\n' "$1" "$5" "$(grep 'Requests/sec' "$work/$1-c$5.txt" | tr -s ' ')" \
    "$(awk '$1=="50%"{print $2}' "$work/$1-c$5.txt")" "$(awk '$1=="99%"{print $2}' "$work/$1-c$5.txt")"
}

echo "== warm-up: 40 s of whole answers against each MrPrompt (tiered compilation settles)"
for target in "before 5304 $before_key" "one 5303 $one_key" "fleet 5310 $fleet_key"; do
  set -- $target
  run "warm-$1" "http://127.0.0.1:$2/v1/chat/completions" mock/m "$3" 64 2 >/dev/null
  wrk -t2 -c64 -d37s -s "$work/post-warm-$1.lua" "http://127.0.0.1:$2/v1/chat/completions" >/dev/null
done

echo "== whole answers (wrk, ${duration}s each)"
for c in 1 64; do
  threads=$([ "$c" = 1 ] && echo 1 || echo 2)
  run direct http://127.0.0.1:5301/v1/chat/completions m x "$c" "$threads"
  run before http://127.0.0.1:5304/v1/chat/completions mock/m "$before_key" "$c" "$threads"
  run one    http://127.0.0.1:5303/v1/chat/completions mock/m "$one_key" "$c" "$threads"
  run fleet  http://127.0.0.1:5310/v1/chat/completions mock/m "$fleet_key" "$c" "$threads"
done
