"""``entitylink build-index`` and ``entitylink reindex``: the commands that write an index."""

from __future__ import annotations

import argparse
import itertools
import logging
from pathlib import Path
from typing import Any

from .options import (
    DeprecatedAlias,
    add_build_encoder_options,
    add_search_param,
    add_vocab_format,
    positive_int,
)

logger = logging.getLogger("entitylink")

EPILOG_BUILD = """examples:
  entitylink build-index data_samples/MRCONSO.RRF --out indexes/sample
  entitylink build-index CTD_diseases.tsv --out indexes/medic
  entitylink build-index META/MRCONSO.RRF --sab MSH --sab SNOMEDCT_US --out indexes/umls \\
      --model /models/SapBERT-from-PubMedBERT-fulltext --spec auto --memory-budget 16GB
  entitylink build-index medic.txt --out indexes/medic --engine ray --actors 4
"""
EPILOG_REINDEX = """examples:
  entitylink reindex indexes/mesh-flat --out indexes/mesh                  # --spec auto
  entitylink reindex indexes/mesh-flat --out indexes/mesh-small --memory-budget 400MB
  entitylink reindex indexes/medic --out indexes/medic-hnsw --spec HNSW32 \\
      --search-param efSearch=256
  entitylink reindex indexes/medic-dense --out indexes/medic --spec Flat --sparse
"""


def _size(text: str) -> int:
    from ..index.specs import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_spec_options(parser: argparse.ArgumentParser, default: str) -> None:
    """``--spec`` and ``--memory-budget``."""
    parser.add_argument(
        "--spec",
        "--index-spec",
        dest="spec",
        default=default,
        help=f"FAISS factory string: Flat (exact), IVF4096,SQ8, HNSW32 ..., or auto (chosen from "
        f"the number of names and --memory-budget; see the README's Performance); "
        f"default: {default}",
    )
    parser.add_argument(
        "--memory-budget",
        type=_size,
        metavar="SIZE",
        help="with --spec auto: memory the vector index may take (e.g. 4GB, 512MiB)",
    )


def check_budget(args: argparse.Namespace) -> None:
    if args.memory_budget is not None and args.spec != "auto":
        raise ValueError("--memory-budget applies to --spec auto only")


def add_build_commands(
    commands: Any,
    formatter: type[argparse.HelpFormatter],
    common: argparse.ArgumentParser,
    engine: argparse.ArgumentParser,
) -> None:
    """Add ``build-index`` and ``reindex`` to the CLI's subcommands."""
    from ..encoding.options import DEFAULT_MODEL, POOLINGS, SAPBERT
    from ..vocabularies import FORMATS

    build = commands.add_parser(
        "build-index",
        help="encode a vocabulary into an index directory",
        description="Encode every name of one or more vocabularies and write an index directory "
        "(manifest.json, vectors.faiss, concepts.sqlite). The build happens in a temporary "
        "directory that replaces --out only when complete.",
        epilog=EPILOG_BUILD,
        formatter_class=formatter,
        parents=[common, engine],
    )
    build.add_argument("vocab", nargs="+", type=Path, help="vocabulary file(s) or UMLS META dir")
    build.add_argument("--out", required=True, type=Path, help="index directory to write")
    add_vocab_format(build, list(FORMATS))
    build.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"hub name or local dir (default: {DEFAULT_MODEL}, offline; SapBERT: {SAPBERT})",
    )
    build.add_argument(
        "--pooling", choices=POOLINGS, help="default: the model's own (SapBERT: cls)"
    )
    build.add_argument("--max-length", type=int, default=25, help="tokens per name (default: 25)")
    build.add_argument(
        "--no-normalize",
        dest="normalize",
        action="store_false",
        help="keep raw vectors (SapBERT's inner product) instead of L2-normalising",
    )
    add_spec_options(build, "Flat")
    build.add_argument(
        "--index",
        dest="spec",
        action=DeprecatedAlias,
        replacement="--spec",
        reason="elsewhere --index is an index directory",
    )
    add_build_encoder_options(build)
    add_search_param(build)
    build.add_argument(
        "--sparse",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also store char 3-gram TF-IDF vectors of the names for the sparse and hybrid "
        "modes (default: no; on NCBI-disease hybrid did not beat MiniLM alone, docs/hybrid.md)",
    )
    build.add_argument(
        "--target-recall",
        type=float,
        default=0.95,
        help="IVF*/HNSW* without --search-param: choose nprobe/efSearch as the smallest reaching "
        "this recall@10 against exact search, measured on the built index (default: 0.95)",
    )
    build.add_argument(
        "--batch-size",
        type=positive_int,
        default=128,
        help="names per encoder batch (default: 128)",
    )
    build.add_argument(
        "--overwrite", action="store_true", help="replace an existing index directory"
    )
    build.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="stop at the first bad line (default); --no-strict skips bad lines and counts them",
    )
    umls = build.add_argument_group("UMLS RRF options (each repeatable)")
    for flag, dest, metavar, text in (
        ("--language", "languages", "LAT", "languages to keep (default: ENG)"),
        ("--sab", "sabs", "SAB", "source vocabularies to keep (default: all)"),
        ("--exclude-sab", "exclude_sabs", "SAB", "source vocabularies to drop"),
        ("--suppress", "suppress", "FLAG", "SUPPRESS flags to keep (default: N)"),
    ):
        umls.add_argument(flag, action="append", dest=dest, metavar=metavar, help=text)
    build.add_argument_group("OBO options").add_argument(
        "--synonym-scope",
        action="append",
        dest="synonym_scopes",
        metavar="SCOPE",
        help="synonym scopes to keep (default: EXACT); repeatable, e.g. EXACT and RELATED",
    )

    reindex = commands.add_parser(
        "reindex",
        help="copy a Flat index directory into another FAISS spec, without encoding again",
        description="Read the vectors of a Flat index directory and write a copy with another "
        "FAISS spec (default: auto), keeping its concept table and encoder. Tries a spec in "
        "minutes where encoding the vocabulary again would take hours.",
        epilog=EPILOG_REINDEX,
        formatter_class=formatter,
        parents=[common],
    )
    add_search_param(reindex)
    reindex.add_argument("source", type=Path, help="a Flat index directory")
    reindex.add_argument("--out", required=True, type=Path, help="index directory to write")
    add_spec_options(reindex, "auto")
    reindex.add_argument(
        "--sparse",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add the char 3-gram TF-IDF part (computed from the names, no encoding); "
        "--no-sparse: leave it out; default: keep the source's",
    )
    reindex.add_argument(
        "--overwrite", action="store_true", help="replace an existing index directory"
    )


def run_build(args: argparse.Namespace) -> None:
    from ..encoding.encoder import Encoder
    from ..index.build import build_index
    from ..vocabularies import read_vocabulary

    names = ("languages", "sabs", "exclude_sabs", "suppress", "synonym_scopes")
    options = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    streams = [
        read_vocabulary(p, args.vocab_format, strict=args.strict, **options) for p in args.vocab
    ]
    encoder = Encoder(
        args.model,
        pooling=args.pooling,
        max_length=args.max_length,
        normalize=args.normalize,
        device=args.device,
        dtype=args.dtype,
        quantize=args.quantize,
        backend=build_backend(args),
        threads=args.threads,
    )
    check_budget(args)
    index = build_index(
        itertools.chain.from_iterable(streams),
        encoder,
        args.out,
        spec=args.spec,
        search_params=dict(args.search_param) if args.search_param else None,
        memory_budget=args.memory_budget,
        overwrite=args.overwrite,
        batch_size=args.batch_size,
        vocabulary={
            "paths": [str(p) for p in args.vocab],
            "format": args.vocab_format or "detected",
            **options,
        },
        encode_names=ray_encode_names(args, encoder.config()),
        sparse=args.sparse,
        target_recall=args.target_recall,
    )
    manifest = index.manifest
    logger.info(
        "built %s in %.1f s: %d concepts, %d names (%.0f names/s)",
        index.path,
        manifest.build_seconds,
        manifest.counts["concepts"],
        manifest.counts["names"],
        manifest.counts["names"] / max(manifest.build_seconds, 1e-9),
    )
    prepare_serving_encoder(manifest.encoder)


def build_backend(args: argparse.Namespace) -> str:
    """``--backend auto``: ONNX float32 where it runs (CPU, float32, no torch quantisation)."""
    from ..linking.options import onnx_installed

    if args.backend != "auto":
        return str(args.backend)
    plain = (args.device or "cpu") == "cpu" and args.dtype == "float32" and args.quantize is None
    return "onnx" if plain and onnx_installed() else "torch"


def prepare_serving_encoder(config: dict[str, Any]) -> None:
    """Export and quantise the encoder that linking runs by default (ONNX int8-block), now,
    so that the first ``link`` is as fast as the next and imports no torch. A model that
    cannot be exported is left to torch, with a warning."""
    from ..encoding.models import resolve_model
    from ..encoding.onnx import onnx_files
    from ..errors import EntityLinkError
    from ..linking.options import LoadOptions

    settings = LoadOptions().encoder_settings()
    if settings["backend"] != "onnx":
        return
    logger.info(
        "preparing the serving encoder (ONNX %s, cached once per model)", settings["quantize"]
    )
    try:  # the graph's files only: no session is needed to make them
        onnx_files(resolve_model(config["model"]), settings["quantize"])
    except (EntityLinkError, ValueError, OSError) as exc:
        logger.warning(
            "the serving encoder could not be prepared (%s); link with --backend torch", exc
        )


def ray_encode_names(args: argparse.Namespace, encoder_config: dict[str, Any]) -> Any:
    """The ``encode_names`` hook for ``build-index --engine ray``, or None for local."""
    if args.engine != "ray":
        return None
    from ..tables.ray import init_ray, ray_encode_names

    init_ray(args.ray_address)
    return ray_encode_names(
        encoder_config,
        actors=args.actors,
        cpus_per_actor=args.cpus_per_actor or 1,
        gpus_per_actor=args.gpus_per_actor,
        batch_size=args.batch_size,
        progress=not args.quiet,
    )


def run_reindex(args: argparse.Namespace) -> None:
    from ..index.build import reindex

    check_budget(args)
    index = reindex(
        args.source,
        args.out,
        spec=args.spec,
        search_params=dict(args.search_param) if args.search_param else None,
        memory_budget=args.memory_budget,
        overwrite=args.overwrite,
        sparse=args.sparse,
    )
    manifest = index.manifest
    logger.info(
        "wrote %s (%s, %s) in %.1f s",
        index.path,
        manifest.index["spec"],
        manifest.index["search_params"],
        manifest.build_seconds,
    )
