"""Derive the dictionary detector's stop list from the train splits (never dev or test).

Usage::

    python scripts/make_stoplist.py ../shared/data/vocab/ctd/medic_06Jul2012.txt \
        ../shared/data/vocab/mesh/mesh_id_label_mappings.tsv \
        ../shared/data/vocab/mesh/mesh_supp_id_label_mappings.tsv \
        --out entitylink/linking/stoplist.txt

Every name of the vocabulary is matched (no stop list) in the train documents of NCBI-disease and
BC5CDR; a name found at least ``--min-count`` times of which at most ``--max-precision`` coincide
with a gold mention's offsets (of any type) is a common word there, and goes in the list.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from entitylink import read_vocabulary
from entitylink.evaluation.benchmarks import load_benchmark
from entitylink.linking.detectors import DictionaryDetector, DictionaryOptions, normalize_name

TRAIN = ("ncbi-disease", "bc5cdr-disease", "bc5cdr-chemical")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vocabulary", type=Path, nargs="+", help="every name of these files")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--max-precision", type=float, default=0.1)
    args = parser.parse_args()
    pairs = [
        (concept.concept_id, name)
        for path in args.vocabulary
        for concept in read_vocabulary(path)
        for name in concept.names
    ]
    detector = DictionaryDetector.from_names(pairs, DictionaryOptions(stop_list=frozenset()))
    documents: dict[str, str] = {}
    gold: set[tuple[str, int, int]] = set()
    for name in TRAIN:
        bench = load_benchmark(name, "train")
        documents.update(bench.documents)
        gold |= {(m.doc_id or "", m.start or 0, m.end or 0) for m in bench.mentions}
    found, hits = Counter[str](), Counter[str]()
    for doc_id, text in documents.items():
        for start, end, _ in detector.detect(text):
            key = normalize_name(text[start:end])
            found[key] += 1
            hits[key] += (doc_id, start, end) in gold
    stop = sorted(
        key
        for key, count in found.items()
        if count >= args.min_count and hits[key] / count <= args.max_precision
    )
    header = [
        "# Names the dictionary detector never matches: common words in biomedical text.",
        f"# Made by scripts/make_stoplist.py from {', '.join(p.name for p in args.vocabulary)}",
        "# on the train splits of",
        f"# {', '.join(TRAIN)} ({len(documents)} documents): names found at least",
        f"# {args.min_count} times of which at most {args.max_precision:.0%} were gold mentions.",
        "# One normalised name a line (lowercased, dashes and possessive 's dropped).",
    ]
    lines = [*header, *(f"{key}" for key in stop)]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(stop)} names from {len(found)} matched ({sum(found.values())} matches)")
    for key in stop[:40]:
        print(f"  {key}: {found[key]} matches, {hits[key]} gold")


if __name__ == "__main__":
    main()
