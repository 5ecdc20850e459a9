#!/usr/bin/env bash
# Time to first token of a chat asked in the browser (send -> first text on the live answer, 20 ms mock upstream), this
# checkout against an older commit (default: the last before the durable queue), built and run alternately in one go.
# Not part of CI. Usage: bash bench/chat-first-token.sh [base commit, default 31bc426] [sends per run, default 500]
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-31bc426}"; sends="${2:-500}"
old=/tmp/mrprompt-bench/ttft-base
rm -rf "$old"; mkdir -p /tmp/mrprompt-bench
git worktree remove --force "$old" 2>/dev/null || true
git worktree add -q --detach "$old" "$base"
trap 'git worktree remove --force "$old"' EXIT
# The measuring code is this checkout's; it uses only what the older runner already had.
cp bench/MrPrompt.Benchmarks/ChatFirstToken.cs bench/MrPrompt.Benchmarks/MockUpstream.cs "$old/bench/MrPrompt.Benchmarks/"
sed -i 's|    "rls" => await RowSecurityCost.RunAsync(args.Skip(1).ToArray()),|&\n    "ttft" => await ChatFirstToken.RunAsync(args.Skip(1).ToArray()),|' "$old/bench/MrPrompt.Benchmarks/Program.cs"
dotnet build -c Release "$old/bench/MrPrompt.Benchmarks" >/dev/null
dotnet build -c Release bench/MrPrompt.Benchmarks >/dev/null
for round in 1 2; do
  printf 'before (%s), round %s: ' "$base" "$round"; dotnet "$old/bench/MrPrompt.Benchmarks/bin/Release/net10.0/MrPrompt.Benchmarks.dll" ttft "$sends" 5312 | tail -n 1
  printf 'now (%s), round %s:    ' "$(git rev-parse --short HEAD)" "$round"; dotnet bench/MrPrompt.Benchmarks/bin/Release/net10.0/MrPrompt.Benchmarks.dll ttft "$sends" 5313 | tail -n 1
done
