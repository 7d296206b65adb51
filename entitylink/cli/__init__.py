"""Command-line interface: ``entitylink COMMAND``.

Commands: build-index, reindex (:mod:`.cli_build`), link, info, evaluate, report
(:mod:`.cli_evaluate`), train (:mod:`.cli_train`).

Exit status: 0 success, 1 a user error (one line on stderr, no traceback), 2 a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from .cli_batch import add_table_options, engine_options, run_link_table
from .cli_build import add_build_commands, run_build, run_reindex
from .cli_evaluate import add_evaluation_commands, run_evaluate, run_report
from .cli_train import add_train_command, run_train
from .errors import EntityLinkError

logger = logging.getLogger("entitylink")

EPILOG_LINK = """examples:
  entitylink link --index indexes/sample "heart attack" "breast cancer"
  entitylink link --index indexes/medic --input mentions.txt --format jsonl -k 5 > links.jsonl
  cat mentions.txt | entitylink link --index indexes/medic --threshold 0.8
  entitylink link --index indexes/medic --input mentions.parquet --output links.parquet
  entitylink link --index indexes/medic --input m.csv --column text --output links.csv --engine ray
"""


def _key_value(text: str) -> tuple[str, int]:
    key, sep, value = text.partition("=")
    if not sep or not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected KEY=INTEGER (e.g. efSearch=128), got {text!r}")
    return key, int(value)


def _parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(
        prog="entitylink",
        description="Link biomedical mentions to vocabulary concepts.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="debug log output")
    common.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    device = argparse.ArgumentParser(add_help=False)
    device.add_argument("--device", help="cpu, cuda, ... (default: cuda when available)")
    params = argparse.ArgumentParser(add_help=False)
    params.add_argument(
        "--search-param",
        action="append",
        type=_key_value,
        metavar="KEY=N",
        help="FAISS search parameter (efSearch, nprobe...), stored at build, overridden at link",
    )
    search = argparse.ArgumentParser(add_help=False, parents=[device, params])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter
    engine = engine_options()

    add_build_commands(commands, formatter, common, search, params, engine)

    link = commands.add_parser(
        "link",
        help="link mentions with an index",
        description="Link mentions given as arguments, in a file (one per line) or on stdin.",
        epilog=EPILOG_LINK,
        formatter_class=formatter,
        parents=[common, search, engine],
    )
    link.add_argument("mentions", nargs="*", help="mentions to link")
    link.add_argument("--index", required=True, type=Path, help="index directory")
    link.add_argument(
        "--input",
        type=Path,
        help="file with one mention per line ('-': stdin), or a .csv/.tsv/.jsonl/.parquet table",
    )
    link.add_argument("--output", type=Path, help="write results here (default: stdout)")
    link.add_argument(
        "--format",
        choices=("table", "jsonl"),
        default="table",
        help="output format (default: table)",
    )
    link.add_argument("-k", type=int, default=5, help="concepts per mention (default: 5)")
    link.add_argument(
        "--mmap",
        action="store_true",
        help="memory-map the FAISS file instead of reading it (loads in a fraction of a second)",
    )
    link.add_argument(
        "--threshold",
        type=float,
        help="drop candidates scoring below this (NIL when none is left)",
    )
    link.add_argument(
        "--type",
        action="append",
        dest="types",
        metavar="TYPE",
        help="keep concepts of these semantic types only; repeatable",
    )
    add_table_options(link)

    add_evaluation_commands(commands, formatter, common, search)
    add_train_command(commands, formatter, common, device)
    info = commands.add_parser(
        "info",
        help="print an index's manifest and counts",
        description="Print the manifest of an index directory after checking it.",
        epilog="example:\n  entitylink info indexes/sample",
        formatter_class=formatter,
        parents=[common],
    )
    info.add_argument("index", type=Path, help="index directory")
    return parser


def _mentions(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Iterator[str]:
    if args.mentions:
        yield from args.mentions
    if args.input is not None:
        handle = sys.stdin if str(args.input) == "-" else args.input.open(encoding="utf-8")
        with handle:
            yield from (line.rstrip("\r\n") for line in handle)
    elif not args.mentions:
        if sys.stdin.isatty():
            parser.error("give mentions as arguments, with --input FILE, or on stdin")
        yield from (line.rstrip("\r\n") for line in sys.stdin)


def _write(mention: str, candidates: Sequence[Any], fmt: str, out: TextIO) -> None:
    if fmt == "jsonl":
        rows = [
            {
                "concept_id": c.concept_id,
                "name": c.name,
                "matched_name": c.matched_name,
                "score": round(c.score, 4),
                "types": list(c.types),
            }
            for c in candidates
        ]
        out.write(json.dumps({"mention": mention, "candidates": rows}, ensure_ascii=False) + "\n")
        return
    out.write(f"{mention}\n")
    if not candidates:
        out.write("  (no candidate)\n")
    for rank, c in enumerate(candidates, start=1):
        via = f"  [via {c.matched_name!r}]" if c.matched_name != c.name else ""
        out.write(f"  {rank}. {c.concept_id}\t{c.score:.4f}\t{c.name}{via}\n")


def _link(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from .linker import Linker
    from .tables_io import table_format

    if args.k < 1:
        parser.error(f"-k must be at least 1, got {args.k}")
    if args.input is not None and table_format(args.input) is not None:
        return run_link_table(args, parser)
    if args.engine != "local":
        parser.error("--engine ray links tables: give --input FILE.csv/.tsv/.jsonl/.parquet")
    linker = Linker.from_dir(
        args.index,
        device=args.device,
        mmap=args.mmap,
        search_params=dict(args.search_param or []),
    )
    mentions = _mentions(args, parser)
    with contextlib.ExitStack() as stack:
        out = sys.stdout
        if args.output is not None:  # written beside, renamed when complete
            partial = args.output.with_name(args.output.name + ".partial")
            out = stack.enter_context(partial.open("w", encoding="utf-8"))
        while chunk := list(itertools.islice(mentions, 1024)):
            results = linker.link(chunk, k=args.k, threshold=args.threshold, types=args.types)
            for mention, candidates in zip(chunk, results, strict=True):
                _write(mention, candidates, args.format, out)
    if args.output is not None:
        partial.replace(args.output)


def _info(args: argparse.Namespace) -> None:
    from dataclasses import asdict

    from .index import ConceptIndex

    index = ConceptIndex.load(args.index)
    print(json.dumps({"path": str(index.path), **asdict(index.manifest)}, indent=2))


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Log entitylink's messages to stderr; other libraries keep their own settings."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.set_name("entitylink-cli")
    logger.handlers = [h for h in logger.handlers if h.get_name() != "entitylink-cli"] + [handler]
    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if args.command == "build-index":
            run_build(args)
        elif args.command == "reindex":
            run_reindex(args)
        elif args.command == "link":
            _link(args, parser)
        elif args.command == "evaluate":
            run_evaluate(args)
        elif args.command == "report":
            run_report(args)
        elif args.command == "train":
            run_train(args)
        else:
            _info(args)
    except (EntityLinkError, ValueError, OSError) as exc:
        logger.debug("traceback", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
