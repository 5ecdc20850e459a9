# Sourced by http-overhead.sh and profile-gateway.sh: builds, then starts the mock upstream (5301), a
# plain YARP hop (5302) and MrPrompt (5303) with the mock as a provider; sets $key, $work, $app_dll,
# $bench_dll and $pids, and stops them all on exit.
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
dotnet "$app_dll" & app_pid=$!; pids+=($app_pid)
for port in 5301 5302 5303; do
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.5; done
done

