"""Linking speed of an index directory, beside a plain exact-match dictionary as the floor.

Load time is measured in fresh subprocesses (with and without memory-mapping the FAISS file),
after the imports (entitylink, torch, transformers and its BERT code, which it imports lazily on
first use), which are timed apart as ``import_s``: a service pays them once at start-up;
single-mention latency is split into encode / FAISS search / SQLite lookup and collapse (the
stages :class:`entitylink.Linker` times in ``stage_seconds``); batch throughput links all
distinct benchmark mentions at once. The dictionary floor (normalised name -> concept ID, a
Python dict built from the same index's names) is timed in the same run.

    python scripts/bench_link.py                                 # indexes/mesh
    python scripts/bench_link.py indexes/medic --benchmark ncbi-disease --single 300
    python scripts/bench_link.py indexes/mesh-auto --loads 3 --single 300 --out link.json
    python scripts/bench_link.py indexes/medic --backend onnx --quantize int8   # no torch
    python scripts/bench_link.py indexes/medic --background-load 2    # 2 busy loops meanwhile
    python scripts/bench_link.py indexes/mesh --backend onnx --baseline   # and torch fp32 beside

``--backend``/``--quantize`` run the index's encoder another way (ONNX Runtime: the fresh load
processes then import neither torch nor transformers); ``--threads`` overrides the thread policy
(:mod:`entitylink.encoding.threads`: one thread for a single mention); ``--background-load N``
keeps N busy-loop processes running during the in-process measurements (bounded by
``--load-seconds``), as on a machine shared with other jobs. ``--baseline`` also times single
mentions with the index's model on torch in float32 (the reference the other variants are held
to), in the same process and minute, under the same background load.
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

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INDEX = ROOT / "indexes" / "mesh"
TARGETS = {"load_s": 2.0, "single_p50_ms": 15.0, "lookup_share_batch": 0.10}

LOAD_CODE = """
import json, os, sys, time
started = time.perf_counter()
overrides = json.loads(sys.argv[5])
from entitylink import ConceptIndex, Encoder, Linker
if overrides.get("backend") != "onnx":  # transformers imports model code lazily, on first use
    import torch
    from transformers import BertModel
else:
    import onnxruntime, tokenizers
imported = time.perf_counter()
# what Linker.from_dir does, in its two steps
index = ConceptIndex.load(
    sys.argv[1], mmap=sys.argv[2] == "1", search_params=json.loads(sys.argv[4])
)
index_loaded = time.perf_counter()
linker = Linker(Encoder.from_config(index.manifest.encoder, device="cpu", **overrides), index)
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


def cold_load(
    index: Path,
    mmap: bool,
    mention: str,
    runs: int,
    params: dict[str, int],
    overrides: dict[str, Any],
) -> dict[str, Any]:
    """Median of ``runs`` fresh processes: import, ``Linker.from_dir``, first query, RSS."""
    samples = []
    for _ in range(runs):
        flag = "1" if mmap else "0"
        command = [sys.executable, "-c", LOAD_CODE, str(index), flag, mention, json.dumps(params)]
        command.append(json.dumps(overrides))
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


def single(linker: Any, mentions: Sequence[str], k: int) -> dict[str, Any]:
    """Per-mention latency of ``link([m])``, total and by stage."""
    linker.link(list(mentions[:5]), k=k)  # warm-up
    totals: list[float] = []
    stages: dict[str, list[float]] = {stage: [] for stage in linker.stage_seconds}
    for mention in mentions:
        linker.stage_seconds = dict.fromkeys(linker.stage_seconds, 0.0)
        started = time.perf_counter()
        linker.link([mention], k=k)
        totals.append(time.perf_counter() - started)
        for stage, seconds in linker.stage_seconds.items():
            stages[stage].append(seconds)
    return {
        "mentions": len(mentions),
        **_percentiles(totals),
        "stages": {stage: _percentiles(values) for stage, values in stages.items()},
    }


def batch(linker: Any, mentions: Sequence[str], k: int) -> dict[str, Any]:
    """All mentions in one ``link`` call: mentions/s and each stage's share of the time."""
    linker.stage_seconds = dict.fromkeys(linker.stage_seconds, 0.0)
    started = time.perf_counter()
    linker.link(list(mentions), k=k)
    seconds = time.perf_counter() - started
    return {
        "mentions": len(mentions),
        "seconds": round(seconds, 3),
        "mentions_per_s": round(len(mentions) / seconds, 1),
        "stage_share": {s: round(v / seconds, 4) for s, v in linker.stage_seconds.items()},
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
    from entitylink.encoding.options import BACKENDS, QUANTIZATIONS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", nargs="?", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--benchmark", default="bc5cdr-chemical", help="name or file (test split)")
    parser.add_argument("--mentions", type=Path, help="one mention per line instead")
    parser.add_argument("--single", type=int, default=200, help="mentions timed one by one")
    parser.add_argument("--loads", type=int, default=3, help="fresh processes per load figure")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument(
        "--threads",
        type=int,
        help="encoder and FAISS threads (default: the thread policy; FAISS: its own)",
    )
    parser.add_argument("--backend", choices=BACKENDS, help="default: the index's")
    parser.add_argument("--quantize", choices=QUANTIZATIONS, help="default: the index's")
    parser.add_argument(
        "--background-load", type=int, default=0, metavar="N", help="busy-loop processes"
    )
    parser.add_argument(
        "--load-seconds", type=float, default=900, help="the busy loops stop after this"
    )
    parser.add_argument(
        "--search-param",
        action="append",
        default=[],
        metavar="KEY=N",
        help="FAISS search parameter instead of the manifest's, e.g. nprobe=512; repeatable",
    )
    parser.add_argument(
        "--mode",
        choices=("dense", "sparse", "hybrid"),
        help="link mode (default: the linker's: hybrid when the index has a sparse part)",
    )
    parser.add_argument(
        "--baseline", action="store_true", help="also single mentions on torch float32"
    )
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    args = parser.parse_args(argv)
    from entitylink import Encoder, Linker, load_benchmark
    from entitylink.encoding.threads import available_cores, threads_for

    if args.threads:
        import faiss

        faiss.omp_set_num_threads(args.threads)
    overrides: dict[str, Any] = {"threads": args.threads}
    overrides |= {k: getattr(args, k) for k in ("backend", "quantize") if getattr(args, k)}
    if args.mentions:
        texts = [t.strip() for t in args.mentions.read_text().splitlines() if t.strip()]
    else:
        texts = [m.text for m in load_benchmark(args.benchmark, "test").mentions]
    mentions = sorted(set(texts))
    params = {k: int(v) for k, _, v in (p.partition("=") for p in args.search_param)}
    load = {
        "plain": cold_load(args.index, False, mentions[0], args.loads, params, overrides),
        "mmap": cold_load(args.index, True, mentions[0], args.loads, params, overrides),
    }
    linker = Linker.from_dir(args.index, device="cpu", search_params=params, **overrides)
    linker.mode = args.mode
    reference = None
    if args.baseline:
        config = linker.index.manifest.encoder  # the same index, its model on torch float32
        torch_fp32 = {"backend": "torch", "dtype": "float32", "quantize": None}
        encoder = Encoder.from_config(config, device="cpu", threads=args.threads, **torch_fp32)
        reference = Linker(encoder, linker.index)
        reference.mode = args.mode
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
        "mode": args.mode or ("hybrid" if linker.index.sparse is not None else "dense"),
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
