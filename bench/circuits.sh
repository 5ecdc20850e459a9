#!/usr/bin/env bash
# Blazor circuits under load: the published app on its embedded database, N Chromium pages on the chat
# page (idle, then all streaming from Echo), the server's heap per circuit and answer times. Not part
# of CI. Usage: bash bench/circuits.sh [pages, default 50] [idle page path, default /chat]
set -euo pipefail
cd "$(dirname "$0")/.."
pages="${1:-50}"
work=/tmp/mrprompt-circuits
mkdir -p "$work"
export PATH="$PATH:$HOME/.dotnet/tools"
command -v dotnet-gcdump >/dev/null || dotnet tool install -g dotnet-gcdump --version 10.0.750501 >/dev/null
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
dotnet publish -c Release MrPrompt.Web -o "$work/app" >/dev/null
dotnet build -c Release bench/MrPrompt.Benchmarks >/dev/null
chown -R postgres "$work" 2>/dev/null || true
# One person with many tabs: the per-person caps (pages, answers and calls at once, calls a minute) are raised out of the way.
export Database__DataDir="$work/data" ASPNETCORE_URLS=http://127.0.0.1:5320 ASPNETCORE_ENVIRONMENT=Production
export Logging__LogLevel__Default=Warning Chat__GenerateTitles=false Circuits__MaxPerUser=1000
export Jobs__MaxOpenPerUser=100 Limits__RequestsPerMinute=100000 Limits__TokensPerMinute=100000000 Limits__MaxOpenCallsPerUser=1000
dotnet "$work/app/MrPrompt.Web.dll" create-user --email load@example.com --password 'Load-pass1' >/dev/null 2>&1 || true
# From its own folder, so its content root holds the published static files (Blazor's script included).
cd "$work/app"; dotnet MrPrompt.Web.dll >"$work/app.log" 2>&1 & app=$!; cd - >/dev/null
trap 'kill $app 2>/dev/null || true' EXIT
until curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5320/health/ready | grep -q 200; do sleep 0.2; done
dotnet bench/MrPrompt.Benchmarks/bin/Release/net10.0/MrPrompt.Benchmarks.dll circuits http://127.0.0.1:5320 load@example.com 'Load-pass1' "$pages" "$app" "${2:-/chat}"
