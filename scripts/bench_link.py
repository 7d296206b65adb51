"""Linking speed of an index directory, beside a plain exact-match dictionary as the floor.

Load time is measured in fresh subprocesses (with and without memory-mapping the FAISS file),
after the imports (entitylink and the encoder's runtime: onnxruntime and tokenizers, or torch,
transformers and its BERT code, which it imports lazily on first use), which are timed apart as
``import_s``: a service pays them once at start-up;
single-mention latency is split into encode / FAISS search / SQLite lookup and collapse (the
stages a :class:`entitylink.StageTimes` passed to ``link()`` collects); batch throughput
links all distinct benchmark mentions at once. The dictionary floor (normalised name -> concept
ID, a Python dict built from the same index's names) is timed in the same run.

    python scripts/bench_link.py                                 # indexes/mesh, the defaults
    python scripts/bench_link.py indexes/medic --benchmark ncbi-disease --single 300
    python scripts/bench_link.py indexes/mesh-auto --loads 3 --single 300 --out link.json
    python scripts/bench_link.py indexes/medic --backend torch   # the PyTorch float32 path
    python scripts/bench_link.py indexes/medic --quantize int8   # ONNX, per-channel int8
    python scripts/bench_link.py indexes/medic --background-load 2    # 2 busy loops meanwhile
    python scripts/bench_link.py indexes/mesh --baseline   # and torch float32 beside

The index is loaded as ``entitylink link`` loads it: the same option group
(:func:`entitylink.cli.options.add_load_options`: ``--backend``, ``--quantize``, ``--device``,
``--threads``, ``--mmap``/``--no-mmap``, ``--verify``, ``--search-param``, ``--mode``,
``--weight``) and the same defaults, so with no flag this measures what a user meets (ONNX
int8-block when onnxruntime is installed: the fresh load processes then import neither torch
nor transformers). ``--backend torch`` is the path the index was built with. ``--threads``
overrides the thread policy (:mod:`entitylink.encoding.threads`: one thread for a single
mention). The cold loads are measured both with and without memory-mapping whatever ``--mmap``
says; the in-process figures follow it. ``--background-load N`` keeps N busy-loop processes
running during the in-process measurements (bounded by ``--load-seconds``), as on a machine
shared with other jobs. ``--baseline`` also times single mentions with the index's model on
torch in float32 (the reference the other variants are held to), in the same process and
minute, under the same background load.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from entitylink import Linker, LoadOptions, StageTimes  # noqa: E402
from entitylink.cli.options import add_load_options, load_options  # noqa: E402
from entitylink.linking.linker import STAGES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INDEX = ROOT / "indexes" / "mesh"
TARGETS = {"load_s": 2.0, "single_p50_ms": 15.0, "lookup_share_batch": 0.10}

LOAD_CODE = """
import json, os, sys, time
started = time.perf_counter()
from entitylink import ConceptIndex, Linker, LoadOptions
from entitylink.linking.compatibility import load_encoder
options = LoadOptions.from_json(sys.argv[2])
if options.encoder_settings()["backend"] == "torch":  # transformers imports its model code
    import torch                                       # lazily, on first use
    from transformers import BertModel
else:
    import onnxruntime, tokenizers
imported = time.perf_counter()
# what Linker.from_dir does, in its two steps
index = ConceptIndex.load(
    sys.argv[1], mmap=options.mmap, search_params=options.search_params, verify=options.verify
)
index_loaded = time.perf_counter()
encoder = load_encoder(index, options)
index.vectors.threads = options.threads
linker = Linker(encoder, index, mode=options.mode, weight=options.weight)
loaded = time.perf_counter()
linker.link([sys.argv[3]], k=10)
first = time.perf_counter()
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))
print(json.dumps({"import_s": imported - started, "load_s": loaded - imported,
                  "index_s": index_loaded - imported, "encoder_s": loaded - index_loaded,
                  "first_query_s": first - loaded, "rss_mb": rss / 1024,
                  "torch_imported": "torch" in sys.modules}))
"""
BUSY_CODE = (
    "import sys, time\nend = time.time() + float(sys.argv[1])\nwhile time.time() < end: pass"
)


def background_load(n: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    """``n`` busy-loop processes, each ending by itself after ``seconds``."""
    return [subprocess.Popen([sys.executable, "-c", BUSY_CODE, str(seconds)]) for _ in range(n)]


def _normalise(name: str) -> str:
    from entitylink.vocabularies._base import normalize_name

    return normalize_name(name)


def cold_load(index: Path, options: LoadOptions, mention: str, runs: int) -> dict[str, Any]:
    """Median of ``runs`` fresh processes: import, ``Linker.from_dir``, first query, RSS."""
    samples = []
    for _ in range(runs):
        command = [sys.executable, "-c", LOAD_CODE, str(index), options.to_json(), mention]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"loading {index} failed:\n{done.stderr[-2000:]}")
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        key: round(statistics.median(s[key] for s in samples), 3)
        for key in ("import_s", "load_s", "index_s", "encoder_s", "first_query_s", "rss_mb")
    } | {
        "load_s_all": [round(s["load_s"], 3) for s in samples],
        "torch_imported": any(s["torch_imported"] for s in samples),
    }


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(1000 * at(0.50), 3), "p99_ms": round(1000 * at(0.99), 3)}


def single(linker: Linker, mentions: Sequence[str], k: int) -> dict[str, Any]:
    """Per-mention latency of ``link([m])``, total and by stage."""
    linker.link(list(mentions[:5]), k=k)  # warm-up
    totals: list[float] = []
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for mention in mentions:
        times = StageTimes()
        started = time.perf_counter()
        linker.link([mention], k=k, times=times)
        totals.append(time.perf_counter() - started)
        for stage in STAGES:  # a stage that did not run (sparse mode: encode) took 0 s
            stages[stage].append(times.seconds.get(stage, 0.0))
    return {
        "mentions": len(mentions),
        **_percentiles(totals),
        "stages": {stage: _percentiles(values) for stage, values in stages.items()},
    }


def batch(linker: Linker, mentions: Sequence[str], k: int) -> dict[str, Any]:
    """All mentions in one ``link`` call: mentions/s and each stage's share of the time."""
    times = StageTimes()
    started = time.perf_counter()
    linker.link(list(mentions), k=k, times=times)
    seconds = time.perf_counter() - started
    return {
        "mentions": len(mentions),
        "seconds": round(seconds, 3),
        "mentions_per_s": round(len(mentions) / seconds, 1),
        "stage_share": {s: round(times.seconds.get(s, 0.0) / seconds, 4) for s in STAGES},
    }


def dictionary_floor(index: Path, mentions: Sequence[str]) -> dict[str, Any]:
    """A dict from normalised name to concept ID: build time, single and batch lookup speed."""
    started = time.perf_counter()
    with sqlite3.connect(f"file:{index / 'concepts.sqlite'}?mode=ro", uri=True) as connection:
        table = {
            _normalise(name): concept
            for name, concept in connection.execute("SELECT name, concept_id FROM names")
        }
    built = time.perf_counter() - started
    times = []
    for mention in mentions:
        started = time.perf_counter()
        table.get(_normalise(mention))
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    hits = sum(_normalise(m) in table for m in mentions)
    seconds = time.perf_counter() - started
    return {
        "build_s": round(built, 3),
        "names": len(table),
        **_percentiles(times),
        "mentions_per_s": round(len(mentions) / max(seconds, 1e-9), 1),
        "exact_hits": hits,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", nargs="?", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--benchmark", default="bc5cdr-chemical", help="name or file (test split)")
    parser.add_argument("--mentions", type=Path, help="one mention per line instead")
    parser.add_argument("--single", type=int, default=200, help="mentions timed one by one")
    parser.add_argument("--loads", type=int, default=3, help="fresh processes per load figure")
    parser.add_argument("-k", type=int, default=10)
    add_load_options(parser)  # as entitylink link: --backend, --quantize, --threads, --mmap...
    parser.add_argument(
        "--background-load", type=int, default=0, metavar="N", help="busy-loop processes"
    )
    parser.add_argument(
        "--load-seconds", type=float, default=900, help="the busy loops stop after this"
    )
    parser.add_argument(
        "--baseline", action="store_true", help="also single mentions on torch float32"
    )
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    args = parser.parse_args(argv)
    options = load_options(args)
    from entitylink import Encoder, load_benchmark
    from entitylink.encoding.threads import available_cores, threads_for

    if args.mentions:
        texts = [t.strip() for t in args.mentions.read_text().splitlines() if t.strip()]
    else:
        texts = [m.text for m in load_benchmark(args.benchmark, "test").mentions]
    mentions = sorted(set(texts))
    load = {
        "plain": cold_load(args.index, options.replace(mmap=False), mentions[0], args.loads),
        "mmap": cold_load(args.index, options.replace(mmap=True), mentions[0], args.loads),
    }
    linker = Linker.from_dir(args.index, options)
    reference = None
    if args.baseline:
        config = linker.index.manifest.encoder  # the same index, its model on torch float32
        torch_fp32 = options.replace(backend="torch", quantize="none").encoder_settings()
        encoder = Encoder.from_config(config, **(torch_fp32 | {"dtype": "float32"}))
        reference = Linker(encoder, linker.index, mode=linker.mode, weight=linker.weight)
    busy = background_load(args.background_load, args.load_seconds)
    try:
        one = single(linker, mentions[: args.single], args.k)
        many = batch(linker, mentions, args.k)
        if reference is not None:
            baseline = single(reference, mentions[: args.single], args.k)
            baseline["encoder"] = reference.encoder.config()
    finally:
        for process in busy:
            process.kill()
            process.wait()
    result = {
        "index": str(args.index),
        "spec": {
            **linker.index.manifest.index,
            "search_params": linker.index.vectors.search_params,
        },
        "names": linker.index.manifest.counts["names"],
        "options": options.to_dict(),
        "encoder": linker.encoder.config(),
        "threads": {
            "override": args.threads,
            "single": threads_for(1, args.threads),
            "batch": threads_for(len(mentions), args.threads),
            "cores": available_cores(),
        },
        "background_load": args.background_load,
        "loadavg": os.getloadavg(),
        "benchmark": str(args.mentions or args.benchmark),
        "mode": linker.mode,
        "load": load,
        "single": one,
        "batch": many,
        **({"baseline_single": baseline} if reference is not None else {}),
        "dictionary": dictionary_floor(args.index, mentions),
        "targets": TARGETS,
        "meets": {
            "load_s": min(load["plain"]["load_s"], load["mmap"]["load_s"]) <= TARGETS["load_s"],
            "single_p50_ms": one["p50_ms"] <= TARGETS["single_p50_ms"],
            "lookup_share_batch": many["stage_share"]["lookup"] <= TARGETS["lookup_share_batch"],
        },
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()
