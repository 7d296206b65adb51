#!/usr/bin/env bash
# The README's BioSyn-style rows: the offline MiniLM trained by synonym marginalisation on a
# benchmark's train + dev mentions (the settings were chosen on NCBI-disease's dev split, training
# on train only: docs/evaluation.md), then scored on that benchmark's test split, both protocols.
# Usage: bash scripts/train_biosyn.sh [BENCHMARK...]   (default: ncbi-disease bc5cdr-disease)
# About 15-25 min of training per benchmark on 2 quiet cores, then 5-10 min of evaluation;
# the CPU time of each training is in models/minilm-biosyn-BENCHMARK.time.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
benchmarks=("$@")
[[ ${#benchmarks[@]} -gt 0 ]] || benchmarks=(ncbi-disease bc5cdr-disease)
mkdir -p models reports
for benchmark in "${benchmarks[@]}"; do
  out=models/minilm-biosyn-$benchmark
  /usr/bin/time -v -o "$out.time.txt" .venv/bin/entitylink train --objective biosyn \
    --benchmark "$benchmark" --include-dev --epochs 2 --lr 2e-5 --out "$out" --overwrite
  for protocol in sapbert plain; do
    .venv/bin/entitylink evaluate --benchmark "$benchmark" --protocol "$protocol" --model "$out" \
      --out "reports/$benchmark-test-$protocol-minilm-biosyn" --overwrite
  done
done
