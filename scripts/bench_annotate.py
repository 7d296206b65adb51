"""Throughput of text annotation: abstracts/s and mentions/s, the time of each stage, peak RSS,
and how the time grows with the length of one document.

Usage::

    nice python scripts/bench_annotate.py --index indexes/medic \
        --input ../shared/data/benchmarks/bc5cdr/CDR_TestSet.PubTator.txt --repeats 3
    nice python scripts/bench_annotate.py --index indexes/medic --input ... --backend torch
    nice python scripts/bench_annotate.py --index indexes/medic --input ... \
        --detector model:models/ner --span-type Disease      # the trained detector

The index is loaded as ``entitylink annotate`` loads it: the same option group
(:func:`entitylink.cli.options.add_load_options`: ``--backend``, ``--quantize``, ``--threads``,
``--mmap``...) and defaults, so with no flag this measures what a user meets (ONNX int8-block
when onnxruntime is installed); ``--backend torch`` is the PyTorch float32 path.

Prints one JSON object: for the whole input (``--repeats`` runs, the median), ``abstracts/s``,
``mentions/s`` and the seconds in ``detection``, ``abbreviation``, ``encode``, ``search`` and
``lookup``, and where the query vectors came from (``query_vectors``: a name's stored vector,
a repeat within the run, the encoder; the query cache is emptied before each run); then one
row per ``--sizes`` (characters) for a single document made by repeating
the input's abstracts; the machine's load average beside it (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from entitylink import Annotator, Linker, StageTimes
from entitylink.cli.options import add_load_options, load_options
from entitylink.linking.annotate import STAGES
from entitylink.linking.detectors import DictionaryDetector
from entitylink.linking.formats import read_documents
from entitylink.linking.model_detector import ModelDetector
from entitylink.linking.thresholds import nil_threshold
from entitylink.linking.type_maps import parse_type_map


def _run(annotator: Annotator, texts: list[str]) -> tuple[float, int, dict[str, float]]:
    times = StageTimes()
    clock = time.perf_counter()
    documents = annotator.annotate(texts, times=times)
    seconds = time.perf_counter() - clock
    stages = {stage: times.seconds.get(stage, 0.0) for stage in STAGES}  # 0 s: did not run
    return seconds, sum(len(d.spans) for d in documents), stages


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--input", type=Path, required=True, help="PubTator (or .txt, .jsonl)")
    parser.add_argument("--input-format", default="pubtator")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threshold", type=float, help="NIL threshold (default: entitylink annotate's, 0.81)"
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--batch", type=int, default=32, help="documents per annotate() call")
    parser.add_argument("--detector", default="dictionary", help="dictionary or model:DIR")
    parser.add_argument("--span-type", action="append", help="model:DIR: keep these types")
    parser.add_argument(
        "--detector-quantize", default="int8-block", choices=("none", "int8", "int8-block")
    )
    parser.add_argument("--type-map", action="append", help="typed linking, as annotate's")
    add_load_options(parser)  # as entitylink annotate
    args = parser.parse_args(argv)
    options = load_options(args)
    with args.input.open("rb") as stream:
        texts = [d.text for d in read_documents(stream, args.input_format, str(args.input))]
    clock = time.perf_counter()
    linker = Linker.from_dir(args.index, options)
    load = time.perf_counter() - clock
    clock = time.perf_counter()
    detector: DictionaryDetector | ModelDetector
    if args.detector.startswith("model:"):
        quantize = None if args.detector_quantize == "none" else args.detector_quantize
        detector = ModelDetector(
            args.detector[6:], types=args.span_type, quantize=quantize, threads=args.threads
        )
    else:
        detector = DictionaryDetector.from_store(linker.index.store)
    build = time.perf_counter() - clock
    annotator = Annotator(
        linker,
        detector,
        threshold=nil_threshold(args.threshold, args.detector),
        type_map=parse_type_map(args.type_map or []),
    )
    annotator.annotate(texts[:8])  # warm up
    runs = []
    for _ in range(args.repeats):
        linker.queries.clear()  # no run reuses an earlier run's query vectors
        before = linker.queries.counts
        total, stages, spans = 0.0, dict.fromkeys(STAGES, 0.0), 0
        for start in range(0, len(texts), args.batch):
            seconds, found, split = _run(annotator, texts[start : start + args.batch])
            total, spans = total + seconds, spans + found
            stages = {k: stages[k] + split[k] for k in stages}
        after = asdict(linker.queries.counts)
        sources = {source: n - asdict(before)[source] for source, n in after.items()}
        runs.append((total, spans, stages, sources))
    total, spans, stages, sources = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    result: dict[str, Any] = {
        "index": str(args.index),
        "options": options.to_dict(),
        "encoder": linker.encoder.config(),
        "documents": len(texts),
        "characters": sum(map(len, texts)),
        "index_load_s": round(load, 2),
        "detector": args.detector,
        "detector_quantize": args.detector_quantize if args.detector != "dictionary" else None,
        "dictionary_build_s": round(build, 2),  # the model detector's load, for model:DIR
        "dictionary_names": len(detector) if isinstance(detector, DictionaryDetector) else None,
        "seconds": round(total, 2),
        "seconds_all_repeats": [round(run[0], 2) for run in runs],
        "abstracts_per_s": round(len(texts) / total, 1),
        "mentions": spans,
        "mentions_per_s": round(spans / total, 1),
        "stages_s": {k: round(v, 3) for k, v in stages.items()},
        "query_vectors": sources,
        "encoder_avoided": round(1 - sources["encoded"] / max(1, sum(sources.values())), 3),
        "long_documents": [],
    }
    joined = " ".join(texts)
    for size in args.sizes:
        text = (joined * (size // max(1, len(joined)) + 1))[:size]
        times = [_run(annotator, [text]) for _ in range(max(1, args.repeats))]
        seconds, found, split = sorted(times, key=lambda t: t[0])[len(times) // 2]
        result["long_documents"].append(
            {
                "characters": size,
                "seconds": round(seconds, 3),
                "spans": found,
                "seconds_per_100k_chars": round(seconds / size * 100_000, 3),
                "stages_s": {k: round(v, 3) for k, v in split.items()},
            }
        )
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
