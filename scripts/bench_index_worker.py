"""The subprocess half of ``scripts/bench_index.py``: build and sweep one spec, or load one.

Each spec runs in a fresh process so that its RSS and load time are its own:

    python scripts/bench_index_worker.py build --spec IVF4096,SQ8 --data d.npy --queries q.npy \
        --truth t.npz --index out.faiss
    python scripts/bench_index_worker.py load --queries q.npy --index out.faiss [--mmap]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray

from entitylink.index.vectors import MMAP_FLAGS

K, TARGET = 10, 0.99
SWEEP = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
LATENCY_QUERIES = 300


def rss_bytes() -> int:
    """Resident set size of this process (VmRSS of /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _recall(found: NDArray[np.int64], truth: NDArray[np.int64]) -> float:
    """Recall@10 by IDs: the share of the exact top 10 found."""
    return float(np.mean([len(set(a) & set(b)) / K for a, b in zip(found, truth, strict=True)]))


def _recall_ties(
    found: NDArray[np.int64],
    queries: NDArray[np.float32],
    data: NDArray[np.float32],
    tenth: NDArray[np.float32],
) -> float:
    """Recall@10 counting a hit whose exact score equals the exact 10th score as found.

    Vocabularies hold the same string under several concepts (identical vectors), so exact
    search breaks ties one way and an approximate index another; by IDs that counts as a miss.
    """
    rows = np.where(found >= 0, found, 0)
    exact = np.einsum(
        "qd,qkd->qk", queries, np.asarray(data[rows.ravel()]).reshape(*rows.shape, -1)
    )
    good = (exact >= tenth[:, None] - 1e-5) & (found >= 0)
    return float(np.minimum(good.sum(1), K).mean() / K)


def _param_name(spec: str) -> str | None:
    return "efSearch" if "HNSW" in spec else "nprobe" if "IVF" in spec else None


def _latency(index: Any, queries: NDArray[np.float32], threads: int) -> dict[str, float]:
    """Single queries on one thread (OpenMP over a busy core only adds waits), then a batch."""
    faiss.omp_set_num_threads(1)
    for row in queries[:10]:  # warm-up
        index.search(row[None, :], K)
    times = []
    for row in queries[:LATENCY_QUERIES]:
        started = time.perf_counter()
        index.search(row[None, :], K)
        times.append(time.perf_counter() - started)
    faiss.omp_set_num_threads(threads)
    started = time.perf_counter()
    index.search(queries, K)
    batch = time.perf_counter() - started
    return {
        "p50_ms": round(1000 * float(np.percentile(times, 50)), 3),
        "p99_ms": round(1000 * float(np.percentile(times, 99)), 3),
        "batch_qps": round(len(queries) / batch, 1),
    }


def worker_build(args: argparse.Namespace) -> dict[str, Any]:
    """Build one spec as entitylink does, sweep its search parameter, save it."""
    from entitylink.index.vectors import VectorIndex

    data = np.load(args.data, mmap_mode="r")
    queries, exact = np.load(args.queries), np.load(args.truth)
    truth, tenth = exact["ids"], exact["scores"][:, K - 1]

    def recalls(found: NDArray[np.int64]) -> tuple[float, float]:
        return _recall(found, truth), _recall_ties(found, queries, data, tenth)

    index = VectorIndex.create(args.spec, data.shape[1])
    refine = "RFlat" in args.spec or "Refine" in args.spec
    if refine:
        faiss.ParameterSpace().set_index_parameters(index.index, f"k_factor_rf={args.k_factor}")
    started = time.perf_counter()
    index.fill(data)
    build_s = time.perf_counter() - started
    faiss.write_index(index.index, args.index)
    name, sweep = _param_name(args.spec), []
    chosen: int | None = None
    if name is not None:
        limit = faiss.extract_index_ivf(index.index).nlist if name == "nprobe" else 8192
        previous = -1.0
        for value in [v for v in SWEEP if v <= limit]:
            faiss.ParameterSpace().set_index_parameters(index.index, f"{name}={value}")
            started = time.perf_counter()
            found = index.search(queries, K)[1]
            seconds = time.perf_counter() - started
            by_ids, recall = recalls(found)
            sweep.append(
                {
                    name: value,
                    "recall": round(by_ids, 4),
                    "recall_ties": round(recall, 4),
                    "batch_s": round(seconds, 3),
                }
            )
            chosen = value
            if recall >= TARGET or (value >= 64 and recall - previous < 0.0005):
                break  # reached, or a plateau set by the vector codes (SQ8, PQ), not the search
            previous = recall
    by_ids, recall = recalls(index.search(queries, K)[1])
    return {
        "spec": args.spec,
        "build_s": round(build_s, 2),
        "file_bytes": os.path.getsize(args.index),
        "bytes_per_vector": round(os.path.getsize(args.index) / len(data), 1),
        "search_param": {name: chosen} if name else {},
        "k_factor_rf": args.k_factor if refine else None,
        "recall@10": round(by_ids, 4),
        "recall@10_ties": round(recall, 4),
        "reached_target": recall >= TARGET,
        "sweep": sweep,
        **_latency(index.index, queries, args.threads),
    }


def worker_load(args: argparse.Namespace) -> dict[str, Any]:
    """Load a saved index (optionally memory-mapped): time, RSS before and after queries."""
    queries = np.load(args.queries)
    before = rss_bytes()
    flags = MMAP_FLAGS if args.mmap else 0  # as entitylink maps an index
    started = time.perf_counter()
    index = faiss.read_index(args.index, flags)
    load_s = time.perf_counter() - started
    loaded = rss_bytes()
    if args.param:
        faiss.ParameterSpace().set_index_parameters(index, args.param)
    index.search(queries, K)
    return {
        "load_s": round(load_s, 3),
        "rss_load_mb": round((loaded - before) / 2**20, 1),
        "rss_after_queries_mb": round((rss_bytes() - before) / 2**20, 1),
    }


def worker_main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("build", "load"))
    for option in ("--spec", "--data", "--queries", "--truth", "--index", "--param"):
        parser.add_argument(option)
    parser.add_argument("--mmap", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--k-factor", type=int, default=8)
    args = parser.parse_args(argv)
    faiss.omp_set_num_threads(args.threads)
    result = worker_build(args) if args.kind == "build" else worker_load(args)
    print(json.dumps(result))


if __name__ == "__main__":
    import sys

    worker_main(sys.argv[1:])
