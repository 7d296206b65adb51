#!/usr/bin/env bash
# Every figure of the README's results table: 3 benchmarks x 2 protocols x 3 systems.
# Usage: bash scripts/evaluate_all.sh [MODEL]   (default: the offline MiniLM)
#        BASELINES=0 bash scripts/evaluate_all.sh models/minilm-sap   (the model's rows only)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-sentence-transformers/all-MiniLM-L6-v2}
tag=$(basename "$model" | tr 'A-Z' 'a-z')
run() { echo "=== $(date -u +%H:%M:%S) entitylink $*"; /usr/bin/time -f "=== %e s wall, %M KB peak RSS" .venv/bin/entitylink "$@"; }
for benchmark in ncbi-disease bc5cdr-disease bc5cdr-chemical; do
  for protocol in sapbert plain; do
    if [[ ${BASELINES:-1} != 0 ]]; then
      for baseline in exact tfidf; do
        run evaluate --benchmark "$benchmark" --protocol "$protocol" --baseline "$baseline" --overwrite
      done
    fi
    run evaluate --benchmark "$benchmark" --protocol "$protocol" --model "$model" \
      --errors "reports/$benchmark-test-$protocol-$tag-misses.jsonl" --overwrite
  done
done
run report reports/*.json --markdown reports/results.md --plot reports/accuracy.png --overwrite
