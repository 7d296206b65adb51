"""Cold load time and first-query latency of ``Linker.from_dir`` (run in a fresh process).

    python scripts/measure_load.py indexes/medic "heart attack" "breast cancer"
    python scripts/measure_load.py indexes/medic "heart attack" --backend torch   # PyTorch path

The index is loaded as ``entitylink link`` loads it: the same option group
(:func:`entitylink.cli.options.add_load_options`: ``--backend``, ``--quantize``, ``--threads``,
``--mmap``/``--no-mmap``...) and defaults, so with no flag this measures what a user meets
(ONNX int8-block when onnxruntime is installed, the index memory-mapped). ``import_s`` includes
the option parser's own imports (``entitylink.cli``, as the command line pays them) and
``from entitylink import Linker``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence

logger = logging.getLogger("measure_load")


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    started = time.perf_counter()
    from entitylink.cli.options import add_load_options, load_options

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", help="index directory")
    parser.add_argument("mentions", nargs="+", help="mentions for the first query")
    add_load_options(parser)
    args = parser.parse_args(argv)
    options = load_options(args)
    from entitylink import Linker  # the import is part of a cold start

    imported = time.perf_counter()
    linker = Linker.from_dir(args.index, options)
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
        "options": options.to_dict(),
        "encoder": linker.encoder.config(),
        "top1": {
            m: [r[0].concept_id, r[0].name, round(r[0].score, 4)]
            for m, r in zip(args.mentions, results, strict=True)
            if r
        },
    }
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.info(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
