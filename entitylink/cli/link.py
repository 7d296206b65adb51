"""``entitylink link``: mentions as arguments, in a text file or on stdin, or a table column.

``link --input FILE.{csv,tsv,jsonl,parquet}`` links a column of a table into ``--output``;
``--engine ray`` (on ``link`` and ``build-index``) spreads the work over Ray actors. How the
index is loaded is the shared option group of :func:`.options.add_load_options`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

from ..errors import TableFormatError
from ..lines import MENTION_CHARS, MENTION_LINE_BYTES, bounded_lines, cut_mention
from .options import add_load_options, load_options, positive_int

logger = logging.getLogger("entitylink")


EPILOG_LINK = """examples:
  entitylink link --index indexes/sample "heart attack" "breast cancer"
  entitylink link --index indexes/medic --input mentions.txt --format jsonl -k 5 > links.jsonl
  cat mentions.txt | entitylink link --index indexes/medic --threshold 0.8
  entitylink link --index indexes/medic --input mentions.parquet --output links.parquet
  entitylink link --index indexes/medic --input m.csv --column text --output links.csv --engine ray
  entitylink link --index indexes/medic --mode hybrid --weight 0.5 "hypertensive disorder"
"""


def add_link_command(
    commands: Any,
    formatter: type[argparse.HelpFormatter],
    common: argparse.ArgumentParser,
    engine: argparse.ArgumentParser,
) -> None:
    """The ``link`` command: mentions as arguments, in a file, on stdin, or a table."""
    link = commands.add_parser(
        "link",
        help="link mentions with an index",
        description="Link mentions given as arguments, in a file (one per line) or on stdin.",
        epilog=EPILOG_LINK,
        formatter_class=formatter,
        parents=[common, engine],
    )
    link.add_argument("mentions", nargs="*", help="mentions to link")
    link.add_argument("--index", required=True, type=Path, help="index directory")
    link.add_argument(
        "--input",
        type=Path,
        help="file with one mention per line ('-': stdin), or a .csv/.tsv/.jsonl/.parquet table",
    )
    link.add_argument("--output", type=Path, help="write results here (default: stdout)")
    link.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    link.add_argument(
        "--format",
        choices=("table", "jsonl"),
        default="table",
        help="output format (default: table)",
    )
    link.add_argument("-k", type=positive_int, default=5, help="concepts per mention (default: 5)")
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
    add_load_options(link)
    add_table_options(link)


def add_table_options(link: argparse.ArgumentParser) -> None:
    group = link.add_argument_group("tables (--input FILE.csv/.tsv/.jsonl/.parquet)")
    group.add_argument(
        "--column", default="mention", help="column holding the mentions (default: mention)"
    )
    group.add_argument(
        "--nested",
        action="store_true",
        help="one row per input row with a list of candidates (.jsonl/.parquet output), "
        "instead of one row per (mention, rank)",
    )
    group.add_argument("--prefix", default="", help="prefix of the added columns' names")
    group.add_argument(
        "--chunk-rows",
        type=int,
        default=8_192,
        help="rows read, linked and written at a time (default: 8192)",
    )


def run_link_table(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """``link --input TABLE --output TABLE``."""
    if args.output is None or args.mentions:
        parser.error("a table --input needs --output FILE and no mentions as arguments")
    common: dict[str, Any] = {
        "nested": args.nested,
        "threshold": args.threshold,
        "types": args.types,
        "prefix": args.prefix,
        "chunk_rows": args.chunk_rows,
        "progress": not args.quiet,
        "overwrite": args.overwrite,
    }
    table = (args.input, args.output, args.column, args.k)
    if args.engine == "ray":
        from ..tables.ray import init_ray, link_table_ray

        init_ray(args.ray_address)
        rows = link_table_ray(
            args.index,
            *table,
            concurrency=args.actors,
            num_cpus=args.cpus_per_actor,
            num_gpus=args.gpus_per_actor,
            load=load_options(args),
            **common,
        )
    else:
        from ..linking.linker import Linker
        from ..tables.io import link_table

        rows = link_table(lambda: Linker.from_dir(args.index, load_options(args)), *table, **common)
    logger.info("linked %s into %s (%d rows)", args.input, args.output, rows)


def _lines(handle: IO[bytes], name: str) -> Iterator[str]:
    """The lines of a binary stream as text, each at most ``MENTION_LINE_BYTES``; a longer line
    or bytes that are not UTF-8 are an error naming the file and line."""
    lines = bounded_lines(handle, name, limit=MENTION_LINE_BYTES, error=TableFormatError)
    for number, raw in lines:
        try:
            text: str = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise TableFormatError(
                f"{name}:{number}: undecodable bytes (not UTF-8) at byte {exc.start}: {exc.reason}"
            ) from None
        yield text.rstrip("\r\n")


def _mentions(
    args: argparse.Namespace, parser: argparse.ArgumentParser, cut: list[int]
) -> Iterator[str]:
    """The mentions to link, each cut to ``MENTION_CHARS`` (``cut[0]`` counts those cut)."""
    for mention in _given(args, parser):
        yield cut_mention(mention, cut)


def _given(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Iterator[str]:
    if args.mentions:
        yield from args.mentions
    if args.input is not None and str(args.input) != "-":
        try:
            handle = args.input.open("rb")
        except OSError as exc:
            raise TableFormatError(f"{args.input}: cannot open: {exc.strerror or exc}") from None
        with handle:
            yield from _lines(handle, str(args.input))
    elif args.input is not None or not args.mentions:
        if args.input is None and sys.stdin.isatty():
            parser.error("give mentions as arguments, with --input FILE, or on stdin")
        yield from _lines(getattr(sys.stdin, "buffer", None) or _encoded(sys.stdin), "<stdin>")


def _encoded(stream: TextIO) -> IO[bytes]:
    """A text stream without a binary buffer (tests' StringIO), as UTF-8 bytes."""
    return io.BytesIO(stream.read().encode("utf-8"))


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


def run_link(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from ..linking.linker import Linker
    from ..tables.formats import table_format

    if args.input is not None and table_format(args.input) is not None:
        return run_link_table(args, parser)
    if args.engine != "local":
        parser.error("--engine ray links tables: give --input FILE.csv/.tsv/.jsonl/.parquet")
    if args.output is not None:  # before any work: never onto the input, nor over a file
        from ..files import check_output_file, refuse_inputs

        refuse_inputs([args.output], [args.input or (None if args.mentions else "-")])
        check_output_file(args.output, args.overwrite)
    cut = [0]
    mentions = _mentions(args, parser, cut)
    first = list(itertools.islice(mentions, 1024))  # bad input fails before the model loads
    mentions = itertools.chain(first, mentions)
    linker = Linker.from_dir(args.index, load_options(args))
    with contextlib.ExitStack() as stack:
        out = sys.stdout
        if args.output is not None:  # written beside, renamed when complete
            from ..files import atomic_file

            partial = stack.enter_context(atomic_file(args.output, overwrite=args.overwrite))
            out = stack.enter_context(partial.open("w", encoding="utf-8"))
        while chunk := list(itertools.islice(mentions, 1024)):
            results = linker.link(
                chunk,
                k=args.k,
                threshold=args.threshold,
                types=args.types,
            )
            for mention, candidates in zip(chunk, results, strict=True):
                _write(mention, candidates, args.format, out)
    if cut[0]:
        logger.warning(
            "cut %d mentions longer than %d characters to that length (the encoder reads their "
            "first tokens only)",
            cut[0],
            MENTION_CHARS,
        )
