"""``entitylink annotate``: documents in (text, JSONL, PubTator, BioC), linked spans out."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..linking.thresholds import DICTIONARY_THRESHOLD, nil_threshold
from .options import add_load_options, load_options, positive_int

logger = logging.getLogger("entitylink")

EPILOG_ANNOTATE = """examples:
  entitylink annotate --index indexes/medic --input abstracts.pubtator --output out.pubtator
  entitylink annotate --index indexes/medic --input notes.txt --output - --threshold 0.8
  entitylink annotate --index indexes/medic --input gold.pubtator --detector given \
      --output out.jsonl
  entitylink annotate --index indexes/medic --detector spacy:en_core_sci_sm --input docs.bioc.xml \\
      --output out.bioc.json
  entitylink annotate --index indexes/medic --detector model:models/ner --span-type Disease \\
      --input abstracts.pubtator --output out.pubtator
  entitylink annotate --index indexes/mesh --detector model:models/ner --type-map mesh \\
      --input abstracts.pubtator --output out.pubtator     # diseases and chemicals, typed
  cat docs.jsonl | entitylink annotate --index indexes/medic --input - --input-format jsonl

input: .txt (one document per line), .jsonl ({"id", "text", "spans": [{"start", "end", "label"}]}),
.pubtator, .bioc.xml, .bioc.json; output: .jsonl (every span with its candidates), .pubtator
(the best ID per span), .bioc.json.
"""


def add_annotate_command(
    commands: Any,
    formatter: type[argparse.HelpFormatter],
    common: argparse.ArgumentParser,
) -> None:
    """The ``annotate`` command."""
    parser = commands.add_parser(
        "annotate",
        help="find and link the mentions of documents",
        description="Detect mentions in documents (the index's dictionary, a spaCy pipeline, or "
        "the spans the input carries), resolve abbreviations and link them.",
        epilog=EPILOG_ANNOTATE,
        formatter_class=formatter,
        parents=[common],
    )
    parser.add_argument("--index", required=True, type=Path, help="index directory")
    parser.add_argument("--input", required=True, help="documents ('-': stdin)")
    parser.add_argument("--output", default="-", help="where to write ('-': stdout, the default)")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing --output file"
    )
    parser.add_argument(
        "--input-format", choices=("txt", "jsonl", "pubtator", "bioc.json", "bioc.xml")
    )
    parser.add_argument("--output-format", choices=("jsonl", "pubtator", "bioc.json"))
    parser.add_argument(
        "--detector",
        default="dictionary",
        help="dictionary (the index's names, default), spacy:MODEL (its entities), "
        "model:DIR (a token-classification checkpoint with BIO labels, e.g. from train-ner), "
        "or given (the input's own spans)",
    )
    parser.add_argument(
        "--span-type",
        dest="span_types",
        action="append",
        help="model:DIR: keep the spans of this entity type (Disease, Chemical...; repeatable)",
    )
    parser.add_argument(
        "--type-map",
        action="append",
        metavar="LABEL=TYPE,...|mesh",
        help="typed linking: a span labelled LABEL is linked among concepts of these types "
        "only (repeatable); 'mesh': Disease -> MeSH C tree and F03, Chemical -> D tree",
    )
    parser.add_argument("-k", type=positive_int, default=5, help="concepts per span (default: 5)")
    parser.add_argument(
        "--threshold",
        type=float,
        help="spans whose best score is below this are NIL, dropped (default: "
        f"{DICTIONARY_THRESHOLD} with the dictionary detector, chosen on BC5CDR's dev split; "
        "none with the others)",
    )
    parser.add_argument("--type", dest="types", action="append", help="keep concepts of this type")
    parser.add_argument(
        "--no-abbreviations",
        dest="abbreviations",
        action="store_false",
        help="do not link short forms through their long forms",
    )
    parser.add_argument("--min-length", type=int, default=3, help="dictionary: shortest name")
    parser.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        help="skip undecodable lines and bad documents (counted) instead of stopping",
    )
    parser.add_argument("--batch-size", type=positive_int, default=32, help="documents per batch")
    add_load_options(parser)


def _detector(spec: str, linker: Any, min_length: int, span_types: list[str] | None = None) -> Any:
    from ..linking.annotate import GivenSpans
    from ..linking.detectors import DictionaryDetector, DictionaryOptions
    from ..linking.model_detector import ModelDetector
    from ..linking.spacy_detector import SpacyDetector

    if spec == "dictionary":
        return DictionaryDetector.from_store(
            linker.index.store, DictionaryOptions(min_length=min_length)
        )
    if spec == "given":
        return GivenSpans()
    if spec.startswith("spacy:") and len(spec) > 6:
        return SpacyDetector.load(spec[6:])
    if spec.startswith("model:") and len(spec) > 6:
        return ModelDetector(spec[6:], types=span_types, threads=linker.encoder.threads)
    raise ValueError(
        f"--detector: expected dictionary, given, spacy:MODEL or model:DIR, got {spec!r}"
    )


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def run_annotate(args: argparse.Namespace) -> None:
    from tqdm.auto import tqdm

    from ..files import atomic_file, check_output_file, refuse_inputs
    from ..linking.annotate import Annotator, GivenSpans
    from ..linking.formats import Skipped, detect_format, read_documents, write_documents
    from ..linking.linker import Linker
    from ..linking.type_maps import parse_type_map
    from ..linking.windows import WINDOW_CHARS, annotate_long

    in_format = detect_format(args.input, args.input_format)
    out_format = detect_format(
        args.output if args.output != "-" else "out.jsonl",
        args.output_format,
        ("jsonl", "pubtator", "bioc.json"),
    )
    if args.output != "-":  # before any work: never onto the input, nor over a file
        refuse_inputs([Path(args.output)], [args.input])
        check_output_file(Path(args.output), args.overwrite)
    linker = Linker.from_dir(args.index, load_options(args))
    detector = _detector(args.detector, linker, args.min_length, args.span_types)
    threshold = nil_threshold(args.threshold, args.detector)
    annotator = Annotator(
        linker,
        detector,
        k=args.k,
        threshold=threshold,
        types=args.types,
        abbreviations=args.abbreviations,
        type_map=parse_type_map(args.type_map or []),
    )
    given = isinstance(detector, GivenSpans)
    skipped = Skipped()
    with contextlib.ExitStack() as stack:
        source: IO[bytes] = (
            sys.stdin.buffer if args.input == "-" else stack.enter_context(open(args.input, "rb"))
        )
        if args.output == "-":
            out: IO[str] = sys.stdout
        else:
            partial = stack.enter_context(atomic_file(Path(args.output), overwrite=args.overwrite))
            out = stack.enter_context(partial.open("w", encoding="utf-8"))
        inputs = read_documents(source, in_format, args.input, strict=args.strict, skipped=skipped)
        progress = stack.enter_context(
            tqdm(desc="annotating", unit=" docs", disable=None, file=sys.stderr)
        )

        done = [0]

        def annotated() -> Iterator[Any]:
            for batch in _batches(inputs, args.batch_size):
                short = [d for d in batch if len(d.text) <= WINDOW_CHARS]
                documents = iter(
                    annotator.annotate(
                        [d.text for d in short],
                        spans=[d.spans for d in short] if given else None,
                        ids=[d.id for d in short],
                    )
                )
                for source in batch:  # a long one window by window, written as it goes
                    if len(source.text) > WINDOW_CHARS:
                        spans = source.spans if given else None
                        yield annotate_long(annotator, source.text, source.id, spans), source
                    else:
                        yield next(documents), source
                    progress.update(1)
                    done[0] += 1

        spans = write_documents(annotated(), out, out_format)
    for reason in skipped.reasons:
        logger.warning("skipped: %s", reason)
    if skipped.count:
        logger.warning("skipped %d bad lines or documents (--no-strict)", skipped.count)
    logger.info("annotated %d documents, %d linked spans", done[0], spans)
