"""``entitylink evaluate --task documents``: detection + linking scored end to end.

Three systems side by side on one benchmark split: (a) the dictionary detector with the exact
name's concept (no encoder), (b) the dictionary detector with the linker, its threshold chosen
on the dev split, (c) the gold spans with the linker (detection solved: the linking ceiling).
With ``--detector model:DIR``, two more: (d) the token classifier's spans alone (exact offsets
against every gold span, any concept), (e) its spans linked (``--type-map``: typed linking), the
threshold chosen on the dev split. The detector keeps the spans of the entity types that the
dev split's gold mentions have (Disease for NCBI-disease and BC5CDR-disease, Chemical for
BC5CDR-chemical).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger("entitylink")


def run_document_evaluation(args: argparse.Namespace) -> None:
    from ..evaluation.benchmarks import load_benchmark
    from ..evaluation.documents import choose_threshold, gold_spans, predictions, score
    from ..files import check_outputs, with_suffixes
    from ..linking.annotate import Annotator, GivenSpans
    from ..linking.detectors import DictionaryDetector
    from ..linking.linker import Linker
    from .options import load_options

    if args.index is None and not args.detector:
        raise ValueError(
            "--task documents needs --index (an index of the benchmark's vocabulary), or "
            "--detector alone (its spans only)"
        )
    out = args.out or Path("reports") / f"documents-{args.benchmark}-{args.split}"
    paths = with_suffixes(out, ".json", ".md")
    check_outputs(paths, [args.benchmark], args.overwrite)
    test = load_benchmark(args.benchmark, args.split)
    dev = load_benchmark(args.benchmark, "dev")
    if args.index is None:  # the detector's spans alone: no linking, no index
        detector_alone(args, test, dev, {}, paths)
        return
    linker = Linker.from_dir(args.index, load_options(args))
    clock = time.perf_counter()
    detector = DictionaryDetector.from_store(linker.index.store)
    logger.info("dictionary of %d names in %.1f s", len(detector), time.perf_counter() - clock)
    ids, texts = list(test.documents), list(test.documents.values())
    gold = gold_spans(test)
    results: dict[str, Any] = {}

    def run(name: str, annotator: Annotator, threshold: float | None, **kw: Any) -> None:
        clock = time.perf_counter()
        documents = annotator.annotate(texts, ids=ids, **kw)
        concepts = {c.concept_id for d in documents for s in d.spans for c in s.candidates[:1]}
        found = score(predictions(documents, linker.alt_ids(concepts), threshold), gold)
        results[name] = {
            "threshold": threshold,
            "mention": found.mention.as_dict(),
            "document": found.document.as_dict(),
            "seconds": round(time.perf_counter() - clock, 1),
        }
        logger.info(
            "%s: mention F1 %.4f, document F1 %.4f", name, found.mention.f1, found.document.f1
        )

    run("a. dictionary + exact name", Annotator(None, detector, k=1), None)
    tuned = Annotator(linker, detector, k=1)
    dev_docs = tuned.annotate(list(dev.documents.values()), ids=list(dev.documents))
    concepts = {c.concept_id for d in dev_docs for s in d.spans for c in s.candidates[:1]}
    threshold, dev_scores = choose_threshold(dev_docs, gold_spans(dev), linker.alt_ids(concepts))
    logger.info("dev-chosen threshold %.4f (dev mention F1 %.4f)", threshold, dev_scores.mention.f1)
    run("b. dictionary + linker", tuned, threshold)
    spans = [[(s, e) for s, e, _ in gold.get(doc, [])] for doc in ids]
    run("c. gold spans + linker", Annotator(linker, GivenSpans(), k=1), None, spans=spans)
    if args.detector:
        _detector_rows(args, linker, test, dev, run, results)
    _write(args, test, gold, threshold, linker.encoder.model_name, results, paths)


def _write(
    args: argparse.Namespace,
    test: Any,
    gold: dict[str, Any],
    threshold: float | None,
    encoder: str | None,
    results: dict[str, Any],
    paths: list[Path],
) -> None:
    """The report: JSON and a Markdown table (also on stdout)."""
    from ..files import atomic_files

    report = {
        "benchmark": args.benchmark,
        "split": args.split,
        "index": str(args.index) if args.index else None,
        "encoder": encoder,
        "documents": len(test.documents),
        "gold_mentions": sum(len(g) for g in gold.values()),
        "dev_threshold": threshold,
        "detector": args.detector,
        "type_map": args.type_map,
        "systems": results,
    }
    table = markdown(report)
    sys.stdout.write(table)
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    with atomic_files(paths, overwrite=args.overwrite) as (json_file, markdown_file):
        json_file.write_text(json.dumps(report, indent=2) + "\n")
        markdown_file.write_text(table)


def markdown(report: dict[str, Any]) -> str:
    """The report's systems as one Markdown table."""
    lines = [
        f"{report['benchmark']} {report['split']} ({report['documents']} documents, "
        f"{report['gold_mentions']} gold mentions; index {report['index']}, "
        f"{report['encoder']}; dev-chosen threshold {report['dev_threshold'] or 0:.4f})",
        "",
        "| system | mention P | mention R | mention F1 | doc P | doc R | doc F1 | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in report["systems"].items():
        m, d = row["mention"], row["document"] or dict.fromkeys(("precision", "recall", "f1"))
        cells = [f"{x:.4f}" if x is not None else "-" for x in (*_prf(m), *_prf(d))]
        lines.append(f"| {name} | {' | '.join(cells)} | {row['seconds']} |")
    return "\n".join(lines) + "\n"


def _prf(row: dict[str, Any]) -> tuple[Any, Any, Any]:
    return row["precision"], row["recall"], row["f1"]


def detector_alone(
    args: argparse.Namespace,
    test: Any,
    dev: Any,
    results: dict[str, Any],
    paths: list[Path] | None = None,
    threads: int | None = None,
) -> Any:
    """Row (d): the token classifier's spans of the benchmark's entity types (those of the dev
    split's gold mentions) against every gold span; writes the report when ``paths`` is given.
    Returns the detector."""
    from ..evaluation.documents import gold_spans, span_counts
    from ..linking.bio import entity_type
    from ..linking.model_detector import ModelDetector

    if not args.detector.startswith("model:"):
        raise ValueError(f"--detector: expected model:DIR, got {args.detector!r}")
    kinds = {entity_type(m.type) for m in dev.mentions if m.type}
    quantize = None if args.detector_quantize == "none" else args.detector_quantize
    detector = ModelDetector(args.detector[6:], types=kinds, quantize=quantize, threads=threads)
    clock = time.perf_counter()
    found = detector.detect_many(list(test.documents.values()))
    spans = {doc: [(s, e) for s, e, _ in f] for doc, f in zip(test.documents, found, strict=True)}
    gold = gold_spans(test)
    counts = span_counts(spans, gold)
    results["d. detector spans alone (any ID)"] = {
        "threshold": None,
        "mention": counts.as_dict(),
        "document": None,
        "seconds": round(time.perf_counter() - clock, 1),
    }
    logger.info("detector spans alone: F1 %.4f (%s)", counts.f1, ", ".join(sorted(kinds)))
    if paths is not None:
        _write(args, test, gold, None, None, results, paths)
    return detector


def _detector_rows(
    args: argparse.Namespace, linker: Any, test: Any, dev: Any, run: Any, results: dict[str, Any]
) -> None:
    """Rows (d) and (e) into ``results``: the token classifier's spans alone, then linked."""
    from ..evaluation.documents import choose_threshold, gold_spans
    from ..linking.annotate import Annotator
    from ..linking.type_maps import parse_type_map

    detector = detector_alone(args, test, dev, results, threads=linker.encoder.threads)
    typed = Annotator(linker, detector, k=1, type_map=parse_type_map(args.type_map or []))
    dev_docs = typed.annotate(list(dev.documents.values()), ids=list(dev.documents))
    concepts = {c.concept_id for d in dev_docs for s in d.spans for c in s.candidates[:1]}
    threshold, scores = choose_threshold(dev_docs, gold_spans(dev), linker.alt_ids(concepts))
    logger.info("detector: dev threshold %.4f (dev mention F1 %.4f)", threshold, scores.mention.f1)
    run("e. detector + linker", typed, threshold)
