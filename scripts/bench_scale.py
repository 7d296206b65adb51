"""Build and load an index of N synthetic names (up to UMLS size) with the real build path.

Names recombine the words of MeSH, MEDIC, HPO and MONDO names in concept groups of 1-10, streamed
into an MRCONSO.RRF file that entitylink's RRF reader reads; vectors come from a stand-in encoder
(hashed character 3-grams projected to --dim, normalised; see scripts/scale_names.py) through
build_index's ``encode_names`` hook. Each --budget builds one index with ``--spec auto
--memory-budget BUDGET`` (SQLite, FAISS, manifest, atomic rename). Per stage: wall time, peak
RSS (and its anonymous part: file pages of memory maps count in RSS but are page cache), disk.
Then, in fresh processes: load time and RSS with and without mmap, single-query search p50 at
the manifest's search parameters, SQLite lookup p50/p99 of 50 queries' top-10 rows, and
recall@10 against exact search (a chunked brute-force pass over the same vectors).

Examples:
    python scripts/bench_scale.py --names 20000 --budget 16GB 4MB            # seconds
    nohup nice -n 19 python scripts/bench_scale.py --names 12000000 --dim 384 \\
        --work-dir indexes/scale-12m --out scale-12m.json > scale-12m.log 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_names import (  # noqa: E402
    DEFAULT_SOURCES,
    HashedNgramEncoder,
    NameGenerator,
    load_pool,
    write_mrconso,
)

from entitylink import read_vocabulary  # noqa: E402
from entitylink.index.directory import ConceptIndex  # noqa: E402  (entitylink.ConceptIndex imports torch)
from entitylink.index.layout import MANIFEST  # noqa: E402
from entitylink.index.specs import parse_size  # noqa: E402
from entitylink.index.store import ConceptStore  # noqa: E402
from entitylink.index.tuning import perturb  # noqa: E402
from entitylink.index.vector_file import release_rows  # noqa: E402

logger = logging.getLogger("bench_scale")
K = 10
ENCODE_CHUNK = 16_384  # as entitylink.index.build (imported only to build: it imports torch)


def memory() -> dict[str, int]:
    """VmRSS and RssAnon of this process, bytes."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return fields


class Stages:
    """Wall time and peak RSS (sampled every 0.1 s) of named stages."""

    def __init__(self) -> None:
        self.figures: dict[str, dict[str, float]] = {}
        self.current: str | None = None
        self._lock = threading.Lock()  # the sampler thread and start/stop touch the same stage
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self._note()

    def _note(self) -> None:
        with self._lock:
            if self.current is None:
                return
            now, figures = memory(), self.figures[self.current]
            figures["peak_rss_gb"] = max(figures["peak_rss_gb"], now["VmRSS"] / 1e9)
            figures["peak_anon_gb"] = max(figures["peak_anon_gb"], now["RssAnon"] / 1e9)

    def start(self, name: str) -> None:
        self.stop()
        self.figures[name] = {"seconds": time.perf_counter(), "peak_rss_gb": 0, "peak_anon_gb": 0}
        self.current = name
        self._note()
        logger.info("stage %s", name)

    def stop(self) -> None:
        self._note()
        with self._lock:
            if self.current is not None:
                figures = self.figures[self.current]
                figures["seconds"] = time.perf_counter() - figures["seconds"]
                for key in figures:
                    figures[key] = round(figures[key], 3)
                logger.info("stage %s done: %s", self.current, figures)
            self.current = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.start(name)
        try:
            yield
        finally:
            self.stop()


def encode_hook(encoder: HashedNgramEncoder, stages: Stages, tag: str) -> Any:
    """The ``encode_names`` hook: stand-in vectors chunk by chunk, each chunk released."""

    def fill(store: ConceptStore, vectors: np.memmap[Any, Any]) -> None:
        stages.start(f"{tag}:encode")
        n = len(vectors)
        for start in range(0, n, ENCODE_CHUNK):
            names = store.names(start, min(n, start + ENCODE_CHUNK))
            vectors[start : start + len(names)] = encoder.encode(names)
            release_rows(vectors, start, start + len(names))
            if start // ENCODE_CHUNK % 64 == 0:
                logger.info("encoded %d of %d names", start + len(names), n)
        stages.start(f"{tag}:faiss")  # train, add, save, manifest, rename, load

    return fill


def disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def exact_truth(
    store: ConceptStore, encoder: HashedNgramEncoder, queries: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``K`` rows of every query by a brute-force pass over all vectors, in chunks, and
    each query's ``K``-th score."""
    best_scores = np.full((len(queries), K), -np.inf, dtype=np.float32)
    best_rows = np.full((len(queries), K), -1, dtype=np.int64)
    chunk = 4 * ENCODE_CHUNK
    for start in range(0, n, chunk):
        vectors = encoder.encode(store.names(start, min(n, start + chunk)))
        scores = queries @ vectors.T
        top = np.argpartition(-scores, min(K, scores.shape[1] - 1), axis=1)[:, :K]
        scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        rows = np.concatenate([best_rows, top + start], axis=1)
        keep = np.argsort(-scores, axis=1, kind="stable")[:, :K]
        best_scores, best_rows = (np.take_along_axis(a, keep, 1) for a in (scores, rows))
        if start // chunk % 16 == 0:
            logger.info("exact search: %d of %d vectors", start + len(vectors), n)
    return best_rows, best_scores[:, -1]


def tie_aware_recall(
    index: ConceptIndex, queries: np.ndarray, found: np.ndarray, kth: np.ndarray
) -> float:
    """Share of found hits scoring at least the exact K-th score (less 1e-5): names with the
    same vector (the same 3-grams) are interchangeable, so a plain set overlap undercounts."""
    encoder = HashedNgramEncoder(index.manifest.encoder["dim"], index.manifest.encoder["seed"])
    rows = sorted({int(r) for r in found.ravel() if r >= 0})
    looked = index.store.lookup(rows)
    vectors = encoder.encode([looked[r].name for r in rows])
    position = {r: i for i, r in enumerate(rows)}
    hits = 0
    for query, hits_of, floor in zip(queries, found, kth, strict=True):
        good = [r >= 0 and vectors[position[int(r)]] @ query >= floor - 1e-5 for r in hits_of]
        hits += sum(good)
    return hits / found.size


def measure(directory: Path, mmap: bool, work: Path, latency_queries: int) -> dict[str, Any]:
    """In a fresh process: load figures, and (mmap) search, lookup and recall figures.

    The process imports entitylink's index layer, FAISS and SQLAlchemy, not torch: RSS is
    the index's, not the encoder's (a Linker adds the model: ~0.4 GB for MiniLM)."""
    import faiss

    faiss.omp_set_num_threads(1)  # one thread: OpenMP's spinning is erratic on a shared host
    before = memory()
    started = time.perf_counter()
    index = ConceptIndex.load(directory, mmap=mmap)
    figures: dict[str, Any] = {
        "load_s": round(time.perf_counter() - started, 3),
        "rss_after_load_gb": round(memory()["VmRSS"] / 1e9, 3),
        "rss_added_by_load_gb": round((memory()["VmRSS"] - before["VmRSS"]) / 1e9, 3),
    }
    if not mmap:
        return figures
    queries, truth = np.load(work / "queries.npy"), np.load(work / "truth.npy")
    kth = np.load(work / "kth.npy")
    single = []
    for query in queries[:latency_queries]:
        started = time.perf_counter()
        index.vectors.search(query[None], K)
        single.append(time.perf_counter() - started)
    _, found = index.vectors.search(queries, K)  # batch, for recall
    lookups = []
    for rows in found[:50]:
        started = time.perf_counter()
        index.store.lookup(int(r) for r in rows if r >= 0)
        lookups.append(time.perf_counter() - started)
    recall = np.mean([len(set(a) & set(b)) / K for a, b in zip(found, truth, strict=True)])
    figures.update(
        search_p50_ms=round(float(np.median(single)) * 1e3, 2),
        search_params=index.vectors.search_params,
        search_threads=1,
        lookup_p50_ms=round(float(np.percentile(lookups, 50)) * 1e3, 2),
        lookup_p99_ms=round(float(np.percentile(lookups, 99)) * 1e3, 2),
        recall_at_10=round(tie_aware_recall(index, queries, found, kth), 4),
        recall_at_10_same_rows=round(float(recall), 4),
        recall_queries=len(queries),
        rss_after_search_gb=round(memory()["VmRSS"] / 1e9, 3),
    )
    return figures


def fresh(directory: Path, mmap: bool, work: Path, latency_queries: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", str(directory), "--work-dir", str(work)]
    command += ["--latency-queries", str(latency_queries), *([] if mmap else ["--no-mmap"])]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("Examples:")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--names", type=int, default=20_000, help="names to generate")
    parser.add_argument("--dim", type=int, default=384, help="vector dimension (384 or 768)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", nargs="+", default=["16GB", "2GB"], help="--memory-budget")
    parser.add_argument(
        "--spec", nargs="+", default=[], help="also build these FAISS specs (e.g. HNSW32,SQfp16)"
    )
    parser.add_argument(
        "--target-recall",
        type=float,
        help="choose each index's search parameter by measurement (entitylink tune-search)",
    )
    parser.add_argument("--sources", nargs="+", type=Path, default=list(DEFAULT_SOURCES))
    parser.add_argument("--work-dir", type=Path, help="default: indexes/scale-N")
    parser.add_argument("--recall-queries", type=int, default=1000)
    parser.add_argument("--latency-queries", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the indexes and MRCONSO.RRF")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the work dir's MRCONSO.RRF (same N, seed) and built indexes",
    )
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-mmap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    work = args.work_dir or Path("indexes") / f"scale-{args.names}"
    if args.measure:
        print(json.dumps(measure(args.measure, not args.no_mmap, work, args.latency_queries)))
        return {}
    from entitylink.index.build import build_index

    work.mkdir(parents=True, exist_ok=True)
    stages, result = Stages(), {"names": args.names, "dim": args.dim, "seed": args.seed}
    logger.info("free disk: %.1f GB", shutil.disk_usage(work).free / 1e9)
    mrconso, recorded = work / "MRCONSO.RRF", work / "MRCONSO.json"
    wanted = {"names": args.names, "seed": args.seed, "sources": [str(p) for p in args.sources]}
    previous = json.loads(recorded.read_text()) if recorded.exists() else {}
    if args.reuse and mrconso.exists() and {k: previous.get(k) for k in wanted} == wanted:
        concepts, names = previous["concepts"], previous["names"]
        logger.info("reusing %s (%d names)", mrconso, names)
    else:
        with stages.stage("generate"):
            pool = load_pool(args.sources, seed=args.seed)
            concepts, names = write_mrconso(
                mrconso, NameGenerator(pool, args.seed).groups(args.names)
            )
            del pool
        recorded.write_text(json.dumps({**wanted, "concepts": concepts}))
    result.update(concepts=concepts, mrconso_bytes=mrconso.stat().st_size)
    encoder = HashedNgramEncoder(args.dim, args.seed)
    builds = {}
    for budget in [*args.budget, *args.spec]:
        named = budget in args.spec  # a FAISS spec, not a memory budget
        out = index_dir(work, budget, named)
        if args.reuse and (out / MANIFEST).exists():
            logger.info("reusing %s (its build figures are in the first run's log)", out)
            index = ConceptIndex.load(out, mmap=True)
        else:
            stages.start(f"{budget}:sqlite")  # read MRCONSO, write and index the concept table
            index = build_index(
                read_vocabulary(mrconso),
                encoder,  # type: ignore[arg-type]  # gives the manifest its config and dim
                out,
                spec=budget if named else "auto",
                memory_budget=None if named else parse_size(budget),
                overwrite=True,
                progress=False,
                encode_names=encode_hook(encoder, stages, budget),
                target_recall=args.target_recall,
            )
            stages.stop()
        builds[budget] = {
            "spec": index.manifest.index["spec"],
            "search_params": index.manifest.index["search_params"],
            "search_tuning": index.manifest.index.get("search_tuning"),
            "files": index.manifest.files,
            "disk_bytes": disk(out),
        }
        del index
    with stages.stage("exact"):
        store = ConceptStore(out / "concepts.sqlite")
        rnd = random.Random(args.seed + 1)
        picked = sorted(rnd.sample(range(names), min(names, args.recall_queries)))
        texts = [perturb(store.names(r, r + 1)[0], rnd) for r in picked]
        queries = encoder.encode(texts)
        np.save(work / "queries.npy", queries)
        truth, kth = exact_truth(store, encoder, queries, names)
        np.save(work / "truth.npy", truth)
        np.save(work / "kth.npy", kth)
    for budget, build in builds.items():
        out = index_dir(work, budget, budget in args.spec)
        build["mmap"] = fresh(out, True, work, args.latency_queries)
        build["read"] = fresh(out, False, work, 0)
    result.update(stages=stages.figures, builds=builds, names_built=names)
    print(json.dumps(result, indent=2))
    print(markdown(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(work)
    return result


def index_dir(work: Path, budget: str, named: bool) -> Path:
    """Where the index of a memory budget (``auto-16GB``) or a named spec (``spec-HNSW32_SQ8``)
    is built."""
    return work / (f"spec-{budget.replace(',', '_')}" if named else f"auto-{budget}")


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"{result['names_built']:,} names, {result['concepts']:,} concepts, {result['dim']}-d",
        "",
        "| stage | wall s | peak RSS GB | of which anonymous GB |",
        "|---|---:|---:|---:|",
    ]
    for name, f in result["stages"].items():
        lines.append(f"| {name} | {f['seconds']} | {f['peak_rss_gb']} | {f['peak_anon_gb']} |")
    lines += [
        "",
        "| budget | spec | disk GB | load mmap / read s | RSS after load mmap / read GB "
        "| search p50 ms | lookup p50 / p99 ms | recall@10 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for budget, b in result["builds"].items():
        m, r = b["mmap"], b["read"]
        lines.append(
            f"| {budget} | `{b['spec']}` {b['search_params']} | {b['disk_bytes'] / 1e9:.3f} "
            f"| {m['load_s']} / {r['load_s']} | {m['rss_after_load_gb']} / "
            f"{r['rss_after_load_gb']} | {m['search_p50_ms']} | {m['lookup_p50_ms']} / "
            f"{m['lookup_p99_ms']} | {m['recall_at_10']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
