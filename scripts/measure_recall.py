"""Recall@k of an approximate index against an exact one over the same names, on benchmark mentions.

    python scripts/measure_recall.py indexes/mesh indexes/cache/plain-XXXX \\
        --benchmark bc5cdr-chemical --nprobe 8 32 128
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import numpy as np

from entitylink import ConceptIndex, Encoder, load_benchmark

logger = logging.getLogger("measure_recall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("approximate", help="index directory to measure")
    parser.add_argument("exact", help="Flat index directory over the same names in the same order")
    parser.add_argument("--benchmark", default="bc5cdr-chemical", help="mentions to query with")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[32], help="IVF probes to try")
    parser.add_argument("-k", type=int, default=10, help="recall@k (default: 10)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    exact = ConceptIndex.load(args.exact)
    approximate = ConceptIndex.load(args.approximate)
    if approximate.manifest.vocabulary["sha256"] != exact.manifest.vocabulary["sha256"]:
        parser.error("the two indexes were not built from the same concepts")
    mentions = sorted({m.text for m in load_benchmark(args.benchmark, "test").mentions})
    queries = Encoder.from_config(exact.manifest.encoder, device="cpu").encode(mentions)
    started = time.perf_counter()
    _, truth = exact.vectors.search(queries, args.k)
    exact_s = time.perf_counter() - started
    for nprobe in args.nprobe:
        index = ConceptIndex.load(args.approximate, search_params={"nprobe": nprobe})
        started = time.perf_counter()
        _, found = index.vectors.search(queries, args.k)
        seconds = time.perf_counter() - started
        recall = np.mean([len(set(a) & set(b)) / args.k for a, b in zip(found, truth, strict=True)])
        figures = {
            "nprobe": nprobe,
            f"recall@{args.k}": round(float(recall), 4),
            "queries": len(mentions),
            "search_s": round(seconds, 2),
            "flat_search_s": round(exact_s, 2),
        }
        logger.info(json.dumps(figures))


if __name__ == "__main__":
    main()
