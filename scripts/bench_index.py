"""FAISS specs side by side: build time, size, RAM, load time, latency, throughput, recall@10.

Real vectors: the 783,967 MeSH names encoded with MiniLM, recovered exactly from the cached
``Flat`` index of ``entitylink evaluate`` (``--flat-index``) into a ``.npy`` once; queries are the
distinct BC5CDR-chemical test mentions encoded with the same encoder. Synthetic vectors: a
clustered Gaussian (``--synthetic N --dim D``) with held-out queries from the same clusters.
Recall@10 is measured against exact search (``Flat``) over the same vectors. Each spec is built,
searched and loaded in fresh subprocesses (``bench_index_worker.py``), so RSS figures are the
spec's own; ``--out`` and ``--markdown`` are rewritten after each spec.

    python scripts/bench_index.py --max-names 20000 --out r.json --markdown r.md
    python scripts/bench_index.py --out mesh.json --markdown mesh.md       # 784k names, ~15 min
    python scripts/bench_index.py --synthetic 1000000 --dim 768 --out syn.json       # ~1 h

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
MESH_FILES = {"mesh_id_label_mappings.tsv", "mesh_supp_id_label_mappings.tsv"}
WORKER = Path(__file__).with_name("bench_index_worker.py")
K = 10


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


def find_flat_mesh(cache: Path = CACHE) -> Path:
    """The ``Flat`` MeSH index that ``entitylink evaluate --benchmark bc5cdr-chemical --protocol
    plain`` caches with the default encoder (MiniLM; descriptors and supplementary concepts)."""
    from entitylink.encoding.encoder import DEFAULT_MODEL

    for manifest in sorted(cache.glob("*/manifest.json")):
        data = json.loads(manifest.read_text())
        names = set(data["vocabulary"].get("description", "").split(" + "))
        encoder = data["encoder"]
        default = encoder["model"] == DEFAULT_MODEL and not {"dtype", "quantize"} & set(encoder)
        if data["index"]["spec"] == "Flat" and names == MESH_FILES and default:
            return manifest.parent
    raise SystemExit(
        f"no Flat MeSH index under {cache}: run `entitylink evaluate --benchmark bc5cdr-chemical "
        "--protocol plain` once (it caches one), or give --flat-index"
    )


def mesh_vectors(flat_dir: Path, out: Path) -> Path:
    """The vectors of a ``Flat`` index directory as a ``.npy`` (exact: Flat stores them raw)."""
    if out.exists():
        return out
    from entitylink import ConceptIndex
    from entitylink.index.build import flat_vectors

    tmp = out.with_name(out.name + ".partial.npy")
    flat_vectors(ConceptIndex.load(flat_dir, mmap=True), tmp)  # flushed; the map is dropped
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


def _run_worker(*argv: str, threads: int) -> dict[str, Any]:
    command = [sys.executable, str(WORKER), *argv, "--threads", str(threads)]
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
        args.flat_index = args.flat_index or find_flat_mesh()
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
    parser.add_argument(
        "--flat-index", type=Path, help="Flat MeSH index dir (default: found in indexes/cache)"
    )
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
        result = {**prepared, "threads": args.threads, "cpu": _cpu(), "specs": []}
        for number, spec in enumerate(specs, start=1):
            started = time.perf_counter()
            result["specs"].append(measure(spec, files, tmp, args.threads, args.k_factor))
            row = result["specs"][-1]
            print(
                f"[{number}/{len(specs)}] {spec}: recall@10 {row['recall@10']} at "
                f"{row['search_param'] or '-'}, p50 {row['p50_ms']} ms "
                f"({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
            )
            save(result, args)  # after each spec: a crash keeps what was measured
    print(json.dumps(result, indent=1))
    return result


def save(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Write ``--out`` and ``--markdown`` (each replaced whole, never half-written)."""
    for path, text in ((args.out, json.dumps(result, indent=1) + "\n"), (args.markdown, None)):
        if path is not None:
            partial = path.with_name(path.name + ".partial")
            partial.write_text(text if text is not None else markdown(result))
            partial.replace(path)


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()} x {os.cpu_count()}"
    return f"? x {os.cpu_count()}"


if __name__ == "__main__":
    main()
