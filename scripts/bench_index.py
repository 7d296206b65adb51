"""FAISS specs side by side: build time, size, RAM, load time, latency, throughput, recall@10.

Real vectors: the 783,967 MeSH names encoded with MiniLM, recovered exactly from the cached
``Flat`` index of ``entitylink evaluate`` (``--flat-index``) into a ``.npy`` once; queries are the
distinct BC5CDR-chemical test mentions encoded with the same encoder. Synthetic vectors: a
clustered Gaussian (``--synthetic N --dim D``) with held-out queries from the same clusters.
Recall@10 is measured against exact search (``Flat``) over the same vectors. Each spec is built,
searched and loaded in fresh subprocesses, so RSS figures are the spec's own.

    python scripts/bench_index.py --max-names 20000 --out r.json --markdown r.md
    python scripts/bench_index.py --out mesh.json --markdown mesh.md                # 784k, long
    python scripts/bench_index.py --synthetic 1000000 --dim 768 --out syn.json

For IVF and HNSW the search parameter (nprobe / efSearch) is swept; the smallest value reaching
recall@10 >= 0.99 is kept and its latency reported (``reached_target`` false when none does).
Recall is reported by IDs (``recall@10``) and tie-aware (``recall@10_ties``: a hit scoring
exactly as the exact 10th counts, since one string under several concepts gives identical
vectors); the target applies to the tie-aware figure. Single-query latency runs on one thread.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "indexes" / "cache"
FLAT_MESH = ROOT.parent / "main" / "indexes" / "cache" / "plain-2174cf3bae59868c"
K, TARGET = 10, 0.99
SWEEP = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
LATENCY_QUERIES = 300


def default_specs(n: int, dim: int) -> list[str]:
    """Flat, SQ8, HNSW32, HNSW32,SQ8, IVF{k},SQ8, IVF{k},PQ{dim/4}x4fs,RFlat (k ~ 4 sqrt(n))."""
    lists = 2 ** max(1, round(math.log2(4 * math.sqrt(n))))
    return [
        "Flat",
        "SQ8",
        "HNSW32",
        "HNSW32,SQ8",
        f"IVF{lists},SQ8",
        f"IVF{lists},PQ{dim // 4}x4fs,RFlat",
    ]


def rss_bytes() -> int:
    """Resident set size of this process (VmRSS of /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def mesh_vectors(flat_dir: Path, out: Path) -> Path:
    """The vectors of a ``Flat`` index directory as a ``.npy`` (exact: Flat stores them raw)."""
    if out.exists():
        return out
    index = faiss.read_index(str(flat_dir / "vectors.faiss"), faiss.IO_FLAG_MMAP)
    tmp = out.with_name(out.name + ".partial")
    array = np.lib.format.open_memmap(tmp, "w+", np.float32, (index.ntotal, index.d))
    for start in range(0, index.ntotal, 100_000):
        count = min(100_000, index.ntotal - start)
        array[start : start + count] = index.reconstruct_n(start, count)
    array.flush()
    del array
    tmp.replace(out)
    return out


def mesh_queries(flat_dir: Path, out: Path) -> Path:
    """Distinct BC5CDR-chemical test mentions encoded with the Flat index's encoder."""
    if out.exists():
        return out
    from entitylink import Encoder, IndexManifest, load_benchmark

    manifest = IndexManifest.read(flat_dir)
    mentions = sorted({m.text for m in load_benchmark("bc5cdr-chemical", "test").mentions})
    queries = Encoder.from_config(manifest.encoder, device="cpu").encode(mentions)
    np.save(out, queries)
    return out


def synthetic(n: int, dim: int, queries: int, seed: int, out: Path) -> tuple[Path, Path]:
    """Clustered Gaussian vectors on the unit sphere, database and held-out queries."""
    rng = np.random.default_rng(seed)
    clusters = max(8, int(math.sqrt(n)))
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    spread = rng.uniform(0.3, 1.0, clusters).astype(np.float32)  # clusters of unequal width
    weights = rng.dirichlet(np.full(clusters, 2.0))  # and unequal size

    def draw(count: int) -> NDArray[np.float32]:
        which = rng.choice(clusters, count, p=weights)
        noise = rng.standard_normal((count, dim)).astype(np.float32)
        x = centres[which] + spread[which, None] * noise
        return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)

    base = np.lib.format.open_memmap(out / "database.npy", "w+", np.float32, (n, dim))
    for start in range(0, n, 100_000):
        base[start : start + min(100_000, n - start)] = draw(min(100_000, n - start))
    base.flush()
    np.save(out / "queries.npy", draw(queries))
    return out / "database.npy", out / "queries.npy"


def subset(path: Path, max_names: int, seed: int, out: Path) -> Path:
    """A random (seeded, order-kept) subset of ``max_names`` rows of a ``.npy``."""
    data = np.load(path, mmap_mode="r")
    if max_names >= len(data):
        return path
    rows = np.sort(np.random.default_rng(seed).permutation(len(data))[:max_names])
    np.save(out, np.ascontiguousarray(data[rows]))
    return out


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
    from entitylink.vectors import VectorIndex

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
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if args.mmap else 0
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


def _run_worker(*argv: str, threads: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", *argv, "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(
    spec: str, files: dict[str, Path], tmp: Path, threads: int, k_factor: int
) -> dict[str, Any]:
    index = tmp / (spec.replace(",", "_").replace("(", "_").replace(")", "") + ".faiss")
    common = ["--queries", str(files["queries"]), "--index", str(index)]
    built = _run_worker(
        "build", "--spec", spec, "--data", str(files["data"]), "--truth", str(files["truth"]),
        "--k-factor", str(k_factor), *common, threads=threads,
    )  # fmt: skip
    param = ",".join(f"{k}={v}" for k, v in built["search_param"].items())
    for mmap in (False, True):
        extra = ["--param", param] if param else []
        loaded = _run_worker(
            "load", *common, *extra, *(["--mmap"] if mmap else []), threads=threads
        )
        built.update({f"{key}{'_mmap' if mmap else ''}": value for key, value in loaded.items()})
    index.unlink()
    return built


def markdown(result: dict[str, Any]) -> str:
    head = (
        "| spec | build s | bytes/vector | RSS MB | load s | load s (mmap) | param | recall@10 "
        "| recall@10 ties | p50 ms | p99 ms | batch q/s |\n"
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n"
    )
    rows = []
    for r in result["specs"]:
        param = ", ".join(f"{k}={v}" for k, v in r["search_param"].items()) or "-"
        rows.append(
            f"| {r['spec']} | {r['build_s']} | {r['bytes_per_vector']} | {r['rss_load_mb']} | "
            f"{r['load_s']} | {r['load_s_mmap']} | {param} | {r['recall@10']} | "
            f"{r['recall@10_ties']} | {r['p50_ms']} | "
            f"{r['p99_ms']} | {r['batch_qps']} |"
        )
    return head + "\n".join(rows) + "\n"


def prepare(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Database and query ``.npy`` files, and exact top-10 of each query (the truth)."""
    if args.synthetic:
        data, queries = synthetic(args.synthetic, args.dim, args.queries, args.seed, tmp)
        source = f"synthetic clustered Gaussian, {args.synthetic} x {args.dim}, seed {args.seed}"
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        data = mesh_vectors(args.flat_index, CACHE / "mesh-minilm-vectors.npy")
        queries = mesh_queries(args.flat_index, CACHE / "bc5cdr-chemical-test-minilm.npy")
        source = f"MeSH names encoded with MiniLM ({args.flat_index}); BC5CDR-chemical test queries"
    if args.max_names:
        data = subset(data, args.max_names, args.seed, tmp / "subset.npy")
    base = np.load(data, mmap_mode="r")
    query_vectors = np.load(queries)
    scores, ids = faiss.knn(
        query_vectors, np.ascontiguousarray(base), K, faiss.METRIC_INNER_PRODUCT
    )
    np.savez(tmp / "truth.npz", ids=ids, scores=scores)
    return {
        "source": source,
        "names": int(base.shape[0]),
        "dim": int(base.shape[1]),
        "queries": int(len(query_vectors)),
        "files": {"data": data, "queries": queries, "truth": tmp / "truth.npz"},
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flat-index", type=Path, default=FLAT_MESH, help="Flat MeSH index dir")
    parser.add_argument("--synthetic", type=int, help="use N synthetic vectors instead")
    parser.add_argument("--dim", type=int, default=768, help="synthetic dimension (default 768)")
    parser.add_argument("--queries", type=int, default=1000, help="synthetic queries")
    parser.add_argument("--max-names", type=int, help="use a random subset of this many vectors")
    parser.add_argument("--specs", nargs="+", help="FAISS factory strings (default: six specs)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="FAISS threads")
    parser.add_argument("--k-factor", type=int, default=8, help="RFlat re-ranks k_factor * 10")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--work-dir", type=Path, default=CACHE.parent, help="scratch space (default: indexes/)"
    )
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    parser.add_argument("--markdown", type=Path, help="write a Markdown table here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-index-", dir=args.work_dir) as name:
        tmp = Path(name)
        prepared = prepare(args, tmp)
        files = prepared.pop("files")
        specs = args.specs or default_specs(prepared["names"], prepared["dim"])
        result = {
            **prepared,
            "threads": args.threads,
            "cpu": _cpu(),
            "specs": [measure(s, files, tmp, args.threads, args.k_factor) for s in specs],
        }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(result))
    return result


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()} x {os.cpu_count()}"
    return f"? x {os.cpu_count()}"


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
    if sys.argv[1:2] == ["--worker"]:
        worker_main(sys.argv[2:])
    else:
        main()
