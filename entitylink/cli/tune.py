"""``entitylink tune``: choose the hybrid weight ``w`` on a dev split, write it to the manifest."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from .options import add_load_options

logger = logging.getLogger("entitylink")
# entitylink.evaluation.tune's GRID and TUNABLE_SPLITS, repeated: importing it imports torch,
# and the parser must stay light (--help answers at once)
GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
TUNABLE_SPLITS = ("train", "dev")

EPILOG_TUNE = """examples:
  entitylink tune --benchmark ncbi-disease --index indexes/medic          # dev split, sapbert
  entitylink tune --benchmark bc5cdr-disease --protocol plain --index indexes/medic
  entitylink tune --benchmark ncbi-disease                # the MiniLM's cached dictionary index
  entitylink tune --benchmark ncbi-disease --index indexes/medic --grid 0 0.5 1 --dry-run

The test split is refused: w is chosen on dev (or train), then reported on test with
entitylink evaluate --mode hybrid (which reads w from the manifest, or takes --weight).
"""


def add_tune_command(commands: Any, formatter: Any, *parents: argparse.ArgumentParser) -> None:
    from ..encoding.options import DEFAULT_MODEL
    from ..evaluation.benchmarks import BENCHMARKS
    from ..evaluation.protocols import PROTOCOLS

    tune = commands.add_parser(
        "tune",
        help="choose the hybrid weight w on a benchmark's dev split",
        description="Score hybrid retrieval (dense + w * sparse) for every w of a grid on the "
        "dev split of a benchmark and record the best w in the index's manifest (atomically).",
        epilog=EPILOG_TUNE,
        formatter_class=formatter,
        parents=list(parents),
    )
    tune.add_argument("--benchmark", required=True, help=f"{', '.join(BENCHMARKS)}, or a file")
    tune.add_argument("--split", choices=TUNABLE_SPLITS, default="dev", help="default: dev")
    tune.add_argument("--protocol", choices=PROTOCOLS, default="sapbert", help="default: sapbert")
    system = tune.add_mutually_exclusive_group()
    system.add_argument("--index", type=Path, help="the index directory to tune (and write)")
    system.add_argument(
        "--model", help=f"encoder whose cached dictionary index is tuned (default: {DEFAULT_MODEL})"
    )
    tune.add_argument("--vocab", nargs="+", type=Path, help="vocabulary (default: the benchmark's)")
    tune.add_argument(
        "--grid",
        nargs="+",
        type=float,
        default=list(GRID),
        metavar="W",
        help=f"weights to try (default: {' '.join(f'{w:g}' for w in GRID)})",
    )
    tune.add_argument("--dry-run", action="store_true", help="print w, do not write it")
    add_load_options(tune, retrieval=False)
    tune.add_argument(
        "--cache-dir",
        type=Path,
        default=Path("indexes/cache"),
        help="where dictionary indexes are cached (default: indexes/cache)",
    )


def run_tune(args: argparse.Namespace) -> None:
    from ..encoding.encoder import DEFAULT_MODEL, Encoder
    from ..evaluation.harness import dictionary_index
    from ..evaluation.protocols import prepare
    from ..evaluation.tune import tune_weight
    from ..index.layout import MANIFEST
    from ..index.sparse_writer import add_sparse, set_hybrid_weight
    from ..linking.linker import Linker
    from .options import load_options

    prepared = prepare(args.benchmark, args.protocol, split=args.split, vocabulary=args.vocab)
    options = load_options(args)
    if args.index:
        linker = Linker.from_dir(args.index, options.replace(mode="dense"))
        if linker.index.sparse is None:
            linker = Linker(linker.encoder, add_sparse(args.index))
    else:
        encoder = Encoder(args.model or DEFAULT_MODEL, **options.encoder_settings())
        linker = Linker(encoder, dictionary_index(prepared, encoder, args.cache_dir))
    result = tune_weight(linker, prepared, args.grid, progress=not args.quiet)
    for weight, scores in sorted(result.scores.items()):
        mark = "  <- chosen" if weight == result.weight else ""
        print(f"w={weight:<5g} Acc@1 {scores['acc@1']:.4f}  MRR {scores['mrr']:.4f}{mark}")
    if not args.dry_run:
        set_hybrid_weight(linker.index.path, result.weight, result.note())
        logger.info("wrote w=%g to %s", result.weight, linker.index.path / MANIFEST)
    logger.debug("%s", json.dumps(result.note()))
