#!/usr/bin/env bash
# The trained mention detector of docs/text.md: the offline MiniLM fine-tuned as a BIO token
# classifier on the train splits of NCBI-disease and BC5CDR (chemicals and diseases), the epoch
# chosen on their dev splits; then scored end to end on the test splits.
# Usage: bash scripts/train_ner.sh [OUT]            (default: models/ner)
# Interrupted? Run it again: training resumes from OUT/checkpoint. The CPU time of the training
# is in OUT.time.txt; EPOCHS, MAX_LENGTH, INDEX (a MEDIC index) and PYTHON may be set in the
# environment.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-models/ner}
el=("${PYTHON:-.venv/bin/python}" -m entitylink)
index=${INDEX:-indexes/medic}
mkdir -p models reports
/usr/bin/time -v -o "$out.time.txt" "${el[@]}" train-ner --benchmark ncbi-disease \
  --benchmark bc5cdr --out "$out" --epochs "${EPOCHS:-8}" --max-length "${MAX_LENGTH:-256}" --bf16 --resume
[[ -d "$index" ]] || "${el[@]}" build-index ../shared/data/vocab/ctd/medic_06Jul2012.txt \
  --out "$index"
for benchmark in ncbi-disease bc5cdr-disease; do
  "${el[@]}" evaluate --task documents --benchmark "$benchmark" --index "$index" \
    --detector "model:$out" --out "reports/documents-$benchmark-test-ner" --overwrite
done
# chemicals: the detector's spans alone; with a MeSH index (docs/text.md), add --index and
# --type-map mesh for the linked rows
"${el[@]}" evaluate --task documents --benchmark bc5cdr-chemical \
  --detector "model:$out" --out reports/documents-bc5cdr-chemical-test-ner --overwrite
