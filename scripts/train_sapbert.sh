#!/usr/bin/env bash
# The README's trained encoder: SapBERT self-alignment of the offline MiniLM on MEDIC + MeSH
# (descriptors and supplementary concepts), then its evaluation on the three benchmarks.
# Usage: bash scripts/train_sapbert.sh [MINUTES]   (default 70; the log goes to models/)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-70}
vocab=../shared/data/vocab
out=models/minilm-sap
mkdir -p models
/usr/bin/time -v .venv/bin/entitylink train "$vocab/ctd/medic_06Jul2012.txt" \
  "$vocab/mesh/mesh_id_label_mappings.tsv" "$vocab/mesh/mesh_supp_id_label_mappings.tsv" \
  --out "$out" --max-minutes "$minutes" --no-dropout --save-every 50 --overwrite
BASELINES=0 bash scripts/evaluate_all.sh "$out"
