#!/usr/bin/env bash
# Knowledge on this machine: the offline model's throughput, a 1,000-page ingestion through the job queue, recall@5 on
# questions about this repository's documents, and hybrid search latency and memory at 10k, 100k and 1M passages
# (seeded with random unit vectors). Each part on a scratch embedded Postgres. Not part of CI; the 1M part takes
# minutes and about 3 GB of memory. Usage: bash bench/knowledge.sh [embed|ingest|recall|search|all] [sizes, comma-separated]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/MrPrompt.Benchmarks >/dev/null
dotnet bench/MrPrompt.Benchmarks/bin/Release/net10.0/MrPrompt.Benchmarks.dll knowledge "${1:-all}" "${2:-10000,100000,1000000}"
