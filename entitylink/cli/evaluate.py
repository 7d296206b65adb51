"""The ``evaluate`` and ``report`` commands of the CLI (see :mod:`entitylink.cli`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

logger = logging.getLogger("entitylink")

EPILOG_EVALUATE = """examples:
  entitylink evaluate --benchmark ncbi-disease        # the offline MiniLM, sapbert protocol
  entitylink evaluate --benchmark bc5cdr-disease --baseline tfidf --protocol plain
  entitylink evaluate --benchmark ncbi-disease --model /models/SapBERT-from-PubMedBERT-fulltext \\
      --out reports/ncbi-sapbert --errors reports/ncbi-sapbert.misses.jsonl
  entitylink evaluate --benchmark my_mentions.tsv --vocab my_vocab.tsv --protocol plain
  entitylink evaluate --task documents --benchmark bc5cdr-disease --index indexes/medic
  entitylink evaluate --task documents --benchmark bc5cdr-chemical --index indexes/mesh \\
      --detector model:models/ner --type-map mesh     # + the trained detector's rows
  entitylink evaluate --benchmark ncbi-disease --mode hybrid --weight 0.4   # w from tune
  entitylink report reports/*.json --markdown table.md --plot accuracy.png
"""


def add_evaluation_commands(
    commands: Any, formatter: Any, *parents: argparse.ArgumentParser
) -> None:
    from ..encoding.options import DEFAULT_MODEL
    from ..evaluation.benchmarks import BENCHMARKS
    from ..evaluation.protocols import PROTOCOLS

    evaluate = commands.add_parser(
        "evaluate",
        help="score a model or baseline on a benchmark",
        description="Score a model (its dictionary index is built once and cached), an index "
        "directory, or a baseline on a benchmark, and write PREFIX.json, PREFIX.md, PREFIX.png.",
        epilog=EPILOG_EVALUATE,
        formatter_class=formatter,
        parents=list(parents),
    )
    evaluate.add_argument(
        "--benchmark",
        required=True,
        help=f"{', '.join(BENCHMARKS)}, or a file (PubTator, "
        ".concept, mention<TAB>ids[<TAB>context])",
    )
    evaluate.add_argument("--split", default="test", help="train, dev or test (default: test)")
    evaluate.add_argument(
        "--task",
        choices=("mentions", "documents"),
        default="mentions",
        help="mentions: link the gold mentions (default); documents: detect and link in the "
        "documents' text, scored end to end (needs --index)",
    )
    evaluate.add_argument(
        "--detector",
        metavar="model:DIR",
        help="documents: also score this token classifier's spans alone and linked (its spans "
        "of the benchmark's entity type; threshold chosen on dev)",
    )
    evaluate.add_argument(
        "--type-map",
        action="append",
        metavar="LABEL=TYPE,...|mesh",
        help="documents, --detector: typed linking (see annotate --type-map)",
    )
    evaluate.add_argument(
        "--detector-quantize",
        choices=("none", "int8", "int8-block"),
        default="int8-block",
        help="documents, --detector: the detector's ONNX weights (default: int8-block)",
    )
    evaluate.add_argument(
        "--no-abbreviations",
        dest="abbreviations",
        action="store_false",
        help="sapbert protocol: leave the test mentions' abbreviations unresolved (an ablation)",
    )
    evaluate.add_argument(
        "--protocol", choices=PROTOCOLS, default="sapbert", help="default: sapbert"
    )
    system = evaluate.add_mutually_exclusive_group()
    system.add_argument(
        "--model", help=f"encoder, hub name or local dir (default: {DEFAULT_MODEL})"
    )
    system.add_argument("--index", type=Path, help="an index directory used as the dictionary")
    system.add_argument("--baseline", choices=("exact", "tfidf"), help="a baseline without a model")
    evaluate.add_argument(
        "--vocab", nargs="+", type=Path, help="vocabulary (default: the benchmark's)"
    )
    evaluate.add_argument("--out", type=Path, help="output prefix (default: reports/NAME)")
    evaluate.add_argument("--errors", type=Path, help="write every query not hit at 1 here (JSONL)")
    evaluate.add_argument(
        "--overwrite", action="store_true", help="replace existing report files (--out.*, --errors)"
    )
    evaluate.add_argument(
        "--cache-dir",
        type=Path,
        default=Path("indexes/cache"),
        help="where dictionary indexes are cached (default: indexes/cache)",
    )
    evaluate.add_argument(
        "--batch-size", type=int, default=128, help="encoder batch (default: 128)"
    )
    from .options import add_load_options

    add_load_options(evaluate, mode_default="dense, as the reported figures")
    report = commands.add_parser(
        "report",
        help="combine evaluation reports into one table and plot",
        description="Write one Markdown table and one Acc@k plot from several report JSON files.",
        epilog="example:\n  entitylink report reports/*.json --markdown table.md --plot acc.png",
        formatter_class=formatter,
        parents=[parents[0]],
    )
    report.add_argument("reports", nargs="+", type=Path, help="report JSON files")
    report.add_argument("--markdown", type=Path, help="write the table here (default: stdout)")
    report.add_argument("--plot", type=Path, help="write the Acc@k plot here (PNG)")
    report.add_argument(
        "--overwrite", action="store_true", help="replace existing --markdown and --plot files"
    )


def run_evaluate(args: argparse.Namespace) -> None:
    if args.task == "documents":
        from .evaluate_documents import run_document_evaluation

        run_document_evaluation(args)
        return
    import dataclasses
    import re

    from ..files import check_outputs, with_suffixes

    inputs: list[Path | str | None] = [args.benchmark, *(args.vocab or ())]
    extra = [args.errors] if args.errors else []
    if args.out is not None:  # before loading anything; the default --out once the system is
        check_outputs(
            [*with_suffixes(args.out, ".json", ".md", ".png"), *extra], inputs, args.overwrite
        )

    from ..encoding.encoder import DEFAULT_MODEL, Encoder
    from ..evaluation.baselines import ExactMatch, TfidfLinker
    from ..evaluation.harness import Retriever, dictionary_index, evaluate
    from ..evaluation.protocols import prepare
    from ..evaluation.reports import markdown_table, plot_accuracy
    from ..files import atomic_files
    from ..linking.linker import Linker
    from .options import load_options

    prepared = prepare(
        args.benchmark,
        args.protocol,
        split=args.split,
        vocabulary=args.vocab,
        abbreviations=args.abbreviations,
    )
    system: Retriever
    index = None
    if args.baseline:
        baselines = {
            "exact": ("exact match", ExactMatch),
            "tfidf": ("tf-idf char 3-grams", TfidfLinker),
        }
        name, make = baselines[args.baseline]
        system = make(prepared.dictionary)
    else:
        options = load_options(args).replace(mode=args.mode or "dense")
        if args.index:
            linker = Linker.from_dir(args.index, options)
        else:  # the dictionary encoded as build-index does (float32), the queries as linking
            settings = options.encoder_settings()
            model = args.model or DEFAULT_MODEL
            builder = Encoder(model, **(settings | {"quantize": None}))
            built = dictionary_index(prepared, builder, args.cache_dir, batch_size=args.batch_size)
            encoder = builder
            if settings["quantize"] is not None:
                encoder = Encoder.from_config(builder.config(), **settings)
            linker = Linker(encoder, built, **options.linker_settings())
        config = linker.encoder.config()
        variants = [config[key] for key in ("backend", "dtype", "quantize") if key in config]
        if linker.mode != "dense":
            hybrid = f"hybrid w={linker.weight:g}"
            variants.append("sparse" if linker.mode == "sparse" else hybrid)
        system = linker
        name = linker.encoder.model_name + "".join(f" ({v})" for v in variants)
        manifest = linker.index.manifest
        index = {
            "path": str(linker.index.path),
            "encoder": manifest.encoder,
            "index": manifest.index,
            "counts": manifest.counts,
        }
    stem = f"{prepared.benchmark}-{prepared.split}-{prepared.protocol}-{name}"
    out = args.out or Path("reports") / re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()
    paths = [*with_suffixes(out, ".json", ".md", ".png"), *extra]
    check_outputs(paths, inputs, args.overwrite)  # the default --out, before the evaluation
    report, misses = evaluate(system, prepared, system_name=name, index=index)
    if args.index:
        vocabulary = manifest.vocabulary
        report = dataclasses.replace(
            report,
            dictionary={
                "description": f"index {args.index} ({', '.join(vocabulary.get('paths', []))})",
                **manifest.counts,
            },
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_files(paths, overwrite=args.overwrite) as temporaries:  # all or none
        temporaries[0].write_text(report.to_json())
        temporaries[1].write_text(markdown_table([report]))
        plot_accuracy([report], temporaries[2])
        if args.errors:
            text = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in misses)
            temporaries[3].write_text(text)
    m = report.metrics
    logger.info(
        "%s %s (%s, %d queries): Acc@1 %.4f  Acc@5 %.4f  MRR %.4f in %.1f s; wrote %s.*",
        report.benchmark,
        report.split,
        report.protocol,
        report.counts["queries"],
        m["acc@1"],
        m["acc@5"],
        m["mrr"],
        report.seconds,
        out,
    )


def run_report(args: argparse.Namespace) -> None:
    from ..evaluation.reports import EvaluationReport, markdown_table, plot_accuracy
    from ..files import atomic_files, check_outputs

    paths = [path for path in (args.markdown, args.plot) if path is not None]
    check_outputs(paths, list(args.reports), args.overwrite)
    reports = [EvaluationReport.load(path) for path in args.reports]
    table = markdown_table(reports)
    if not args.markdown:
        sys.stdout.write(table)
    if not paths:
        return
    with atomic_files(paths, overwrite=args.overwrite) as temporaries:  # all or none
        if args.markdown:
            temporaries[0].write_text(table)
        if args.plot:
            plot_accuracy(reports, temporaries[-1])
