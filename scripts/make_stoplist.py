"""Derive the dictionary detector's stop list from the train splits (never dev or test).

Usage::

    python scripts/make_stoplist.py ../shared/data/vocab/ctd/medic_06Jul2012.txt \
        ../shared/data/vocab/mesh/mesh_id_label_mappings.tsv \
        ../shared/data/vocab/mesh/mesh_supp_id_label_mappings.tsv \
        --out entitylink/linking/stoplist.txt

Every name of each vocabulary is matched (no stop list; one vocabulary at a time, so that a longer
name of another file hides none) in the train documents of NCBI-disease and BC5CDR; a name
found at least ``--min-count`` times of which at most ``--max-precision`` coincide with a gold
mention's offsets (of any type) is a common word there, and goes in the list.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from entitylink import read_vocabulary
from entitylink.evaluation.benchmarks import load_benchmark
from entitylink.linking.detectors import DictionaryDetector, DictionaryOptions, normalize_name

TRAIN = ("ncbi-disease", "bc5cdr-disease", "bc5cdr-chemical")


def common_names(
    vocabulary: Path,
    documents: dict[str, str],
    gold: set[tuple[str, int, int]],
    min_count: int,
    max_precision: float,
) -> tuple[list[str], Counter[str], Counter[str]]:
    """The names of one vocabulary (matched by a detector of its names alone) that are common
    words in ``documents``; and every matched name's counts, found and gold."""
    pairs = [(c.concept_id, name) for c in read_vocabulary(vocabulary) for name in c.names]
    detector = DictionaryDetector.from_names(pairs, DictionaryOptions(stop_list=frozenset()))
    found, hits = Counter[str](), Counter[str]()
    for doc_id, text in documents.items():
        for start, end, _ in detector.detect(text):
            key = normalize_name(text[start:end])
            found[key] += 1
            hits[key] += (doc_id, start, end) in gold
    stop = [
        key
        for key, count in found.items()
        if count >= min_count and hits[key] / count <= max_precision
    ]
    return stop, found, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vocabulary", type=Path, nargs="+", help="one list each, then the union")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--max-precision", type=float, default=0.1)
    args = parser.parse_args()
    documents: dict[str, str] = {}
    gold: set[tuple[str, int, int]] = set()
    for name in TRAIN:
        bench = load_benchmark(name, "train")
        documents.update(bench.documents)
        gold |= {(m.doc_id or "", m.start or 0, m.end or 0) for m in bench.mentions}
    stop: set[str] = set()
    found, hits = Counter[str](), Counter[str]()
    for vocabulary in args.vocabulary:  # apart: a longer name of another file hides none
        names, found_here, hits_here = common_names(
            vocabulary, documents, gold, args.min_count, args.max_precision
        )
        print(f"{vocabulary.name}: {len(names)} names of {len(found_here)} matched")
        stop.update(names)
        found.update(found_here)
        hits.update(hits_here)
    header = [
        "# Names the dictionary detector never matches: common words in biomedical text.",
        f"# Made by scripts/make_stoplist.py from {', '.join(p.name for p in args.vocabulary)}",
        f"# (each file apart, then the union) on the train splits of {', '.join(TRAIN)}",
        f"# ({len(documents)} documents): names found at least {args.min_count} times of which",
        f"# at most {args.max_precision:.0%} were gold mentions (of any type).",
        "# One normalised name a line (lowercased, dashes and possessive 's dropped).",
    ]
    lines = [*header, *sorted(stop)]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(stop)} names in all")
    for key in sorted(stop)[:40]:
        print(f"  {key}: {found[key]} matches, {hits[key]} gold")


if __name__ == "__main__":
    main()
