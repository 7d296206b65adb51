"""``entitylink update``, ``compact`` and ``tune-search``: change an index without a rebuild, and
choose its search parameter by measurement."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
from pathlib import Path
from typing import Any

from .options import add_vocab_format, positive_int

logger = logging.getLogger("entitylink")

EPILOG_UPDATE = """examples:
  entitylink update indexes/medic --add local_synonyms.tsv           # new concepts and names
  entitylink update indexes/medic --remove retired_ids.txt           # one concept ID a line
  entitylink update indexes/umls --add META-2025AA/MRCONSO.RRF --sab MSH --replace
  entitylink compact indexes/medic                                   # drop the retired rows

Each update writes a new generation of the directory (manifest: generation, parent, changes),
atomically: the previous one stays loadable until the new one is whole. Only the new names are
encoded, with the encoder the manifest records; retired concepts are never returned again.
"""
EPILOG_COMPACT = """examples:
  entitylink compact indexes/medic
"""
EPILOG_TUNE_SEARCH = """examples:
  entitylink tune-search indexes/mesh-ivf                      # target recall@10 0.95
  entitylink tune-search indexes/umls --target-recall 0.98 --queries 500
  entitylink tune-search indexes/medic-hnsw --dry-run          # measure, change nothing
"""


def add_update_commands(
    commands: Any, formatter: type[argparse.HelpFormatter], common: argparse.ArgumentParser
) -> None:
    """Add ``update``, ``compact`` and ``tune-search`` to the CLI's subcommands."""
    from ..vocabularies import FORMATS

    update = commands.add_parser(
        "update",
        help="add or retire concepts of an index, as a new generation (no rebuild)",
        description="Add the concepts and names of vocabularies to an index directory and retire "
        "concepts, encoding only the new names, as a new generation of the directory.",
        epilog=EPILOG_UPDATE,
        formatter_class=formatter,
        parents=[common],
    )
    update.add_argument("index", type=Path, help="index directory")
    update.add_argument(
        "--add", nargs="+", type=Path, default=[], metavar="VOCAB", help="vocabulary file(s) to add"
    )
    update.add_argument(
        "--remove", type=Path, metavar="IDS_FILE", help="concept IDs to retire, one a line"
    )
    update.add_argument(
        "--replace",
        action="store_true",
        help="a concept of --add that the index has replaces it (record and names); default: "
        "only its new names are added",
    )
    add_vocab_format(update, list(FORMATS))
    update.add_argument(
        "--batch-size", type=positive_int, default=128, help="names per encoder batch"
    )
    update.add_argument(
        "--sab",
        action="append",
        dest="sabs",
        metavar="SAB",
        help="RRF: source vocabularies to keep",
    )
    compact = commands.add_parser(
        "compact",
        help="drop the retired rows of an index, as a new generation (no encoding)",
        description="Rewrite the FAISS index and the concept table without the rows of retired "
        "concepts, renumbered, as a new generation of the directory.",
        epilog=EPILOG_COMPACT,
        formatter_class=formatter,
        parents=[common],
    )
    compact.add_argument("index", type=Path, help="index directory")
    tune = commands.add_parser(
        "tune-search",
        help="choose nprobe / efSearch by measured recall@10 and latency",
        description="Measure recall@10 against exact search (perturbed names of the index as "
        "queries) and single-query p50 on one thread along a ladder of nprobe (IVF) or efSearch "
        "(HNSW) values; record the smallest reaching the target in the manifest.",
        epilog=EPILOG_TUNE_SEARCH,
        formatter_class=formatter,
        parents=[common],
    )
    tune.add_argument("index", type=Path, help="index directory (an IVF* or HNSW* spec)")
    tune.add_argument("--target-recall", type=float, default=0.95, help="default: 0.95")
    tune.add_argument("--queries", type=positive_int, default=300, help="default: 300")
    tune.add_argument("--dry-run", action="store_true", help="print the measurement only")


def read_ids(path: Path) -> list[str]:
    """Concept IDs, one a line (blank lines and ``#`` comments skipped)."""
    lines = (
        line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
    )
    return [line for line in lines if line]


def run_update(args: argparse.Namespace) -> None:
    from ..index.update import update_index
    from ..vocabularies import read_vocabulary

    if not args.add and args.remove is None:
        raise ValueError("nothing to do: give --add VOCAB... and/or --remove IDS_FILE")
    options = {"sabs": args.sabs} if args.sabs else {}
    streams = [read_vocabulary(p, args.vocab_format, **options) for p in args.add]
    index = update_index(
        args.index,
        itertools.chain.from_iterable(streams),
        remove=read_ids(args.remove) if args.remove else (),
        replace=args.replace,
        batch_size=args.batch_size,
        progress=not args.quiet,
        vocabulary={"paths": [str(p) for p in args.add], "format": args.vocab_format or "detected"}
        if args.add
        else None,
    )
    print(json.dumps(_generation(index.manifest)))


def run_compact(args: argparse.Namespace) -> None:
    from ..index.compact import compact_index

    print(json.dumps(_generation(compact_index(args.index).manifest)))


def run_tune_search(args: argparse.Namespace) -> None:
    from ..index.tuning import record_search_tuning, tune_search
    from ..linking.linker import Linker
    from ..linking.options import LoadOptions

    linker = Linker.from_dir(args.index, LoadOptions(backend="torch", quantize="none"))
    result = tune_search(
        linker.index, linker.encoder, target_recall=args.target_recall, queries=args.queries
    )
    if not args.dry_run:
        record_search_tuning(args.index, result)
    print(json.dumps(result))


def _generation(manifest: Any) -> dict[str, Any]:
    return {
        "generation": manifest.generation,
        "parent": manifest.parent,
        "changes": manifest.changes,
        "counts": manifest.counts,
    }
