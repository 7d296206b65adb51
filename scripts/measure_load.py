"""Cold load time and first-query latency of ``Linker.from_dir`` (run in a fresh process).

python scripts/measure_load.py indexes/medic "heart attack" "breast cancer"
"""

from __future__ import annotations

import argparse
import json
import logging
import time

logger = logging.getLogger("measure_load")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", help="index directory")
    parser.add_argument("mentions", nargs="+", help="mentions for the first query")
    args = parser.parse_args()
    started = time.perf_counter()
    from entitylink import Linker  # the import is part of a cold start

    imported = time.perf_counter()
    linker = Linker.from_dir(args.index, device="cpu")
    loaded = time.perf_counter()
    results = linker.link(args.mentions, k=3)
    first = time.perf_counter()
    linker.link(args.mentions, k=3)
    second = time.perf_counter()
    figures = {
        "import_s": round(imported - started, 3),
        "load_s": round(loaded - imported, 3),
        "first_query_s": round(first - loaded, 3),
        "second_query_s": round(second - first, 3),
        "top1": {
            m: [r[0].concept_id, r[0].name, round(r[0].score, 4)]
            for m, r in zip(args.mentions, results, strict=True)
            if r
        },
    }
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.info(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
