"""Search parameters chosen by measurement: the smallest ``nprobe`` (IVF) or ``efSearch`` (HNSW)
whose recall@10 against exact search reaches a target, on the index's own names perturbed as
mentions are, with its single-query p50 on one thread.

>>> result = tune_search(index, encoder, target_recall=0.95)          # doctest: +SKIP
>>> record_search_tuning("indexes/umls", result)                      # doctest: +SKIP

Exact search is a chunked brute-force pass over the stored vectors (reconstructed; fast-scan
codes without ``RFlat`` cannot be read back, so there the names are encoded again). Recall is
tie-aware: a hit counts when its exact score reaches the exact 10th score (less 1e-5), since
equal names have equal vectors.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
from numpy.typing import NDArray

from ..errors import IndexFormatError
from .directory import ConceptIndex
from .manifest import IndexManifest

__all__ = ["LADDERS", "perturb", "record_search_tuning", "search_parameter", "tune_search"]

logger = logging.getLogger(__name__)

K = 10
LADDERS = {
    "nprobe": tuple(2**i for i in range(15)),  # 1 ... 16384
    "efSearch": (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096),
}
EXACT_CHUNK = 65_536
LATENCY_QUERIES = 50


class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def perturb(name: str, rnd: random.Random) -> str:
    """A query made from a name: a dropped word, a swapped letter or a changed case.

    >>> perturb("Type 2 diabetes mellitus", random.Random(1))
    '2 diabetes mellitus'
    """
    words = name.split() or [name]
    op = rnd.randrange(3)
    if op == 0 and len(words) > 1:
        del words[rnd.randrange(len(words))]
    elif op == 1:
        i = rnd.randrange(len(words))
        word = words[i]
        if len(word) > 3:
            j = rnd.randrange(len(word) - 1)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    else:
        words = [w.lower() for w in words]
    return " ".join(words)


def search_parameter(spec: str) -> str | None:
    """The parameter that trades speed for recall in ``spec``: ``nprobe``, ``efSearch`` or None."""
    return "nprobe" if "IVF" in spec else "efSearch" if "HNSW" in spec else None


def tune_search(
    index: ConceptIndex,
    encoder: TextEncoder,
    *,
    target_recall: float = 0.95,
    queries: int = 300,
    seed: int = 0,
) -> dict[str, Any]:
    """Measure recall@10 and p50 along the spec's ladder; returns the smallest setting that
    reaches ``target_recall`` (or the best found, with a warning), ready for the manifest."""
    spec = index.manifest.index["spec"]
    param = search_parameter(spec)
    if param is None:
        raise ValueError(f"{spec} has no search parameter to tune (IVF* and HNSW* have)")
    faiss_index = index.vectors.index
    ladder = _ladder(param, faiss_index)
    texts = _queries(index, queries, seed)
    query = np.ascontiguousarray(encoder.encode(texts), dtype=np.float32)
    vectors = _Vectors(index, encoder, spec)
    kth = vectors.exact_kth(query)
    measured: list[list[float]] = []
    chosen: list[float] | None = None
    for value in ladder:
        faiss.ParameterSpace().set_index_parameter(faiss_index, param, value)
        _, rows = index.vectors.search(query, K)
        recall = vectors.recall(query, rows, kth)
        step = [value, round(float(recall), 4), round(_p50_ms(index, query), 3)]
        measured.append(step)
        logger.debug("%s=%d: recall@10 %.3f, p50 %.2f ms", param, *step)
        if recall >= target_recall:
            chosen = step
            break
    if chosen is None:
        chosen = max(measured, key=lambda s: s[1])
        logger.warning(
            "%s: no %s reached recall@10 %.2f (best %.3f)", spec, param, target_recall, chosen[1]
        )
    faiss.ParameterSpace().set_index_parameter(faiss_index, param, chosen[0])
    return {
        "param": param,
        "value": int(chosen[0]),
        "recall_at_10": chosen[1],
        "p50_ms": chosen[2],
        "target_recall": target_recall,
        "queries": len(texts),
        "ladder": measured,
    }


def record_search_tuning(path: str | Path, result: dict[str, Any]) -> IndexManifest:
    """Store the chosen setting in the manifest (``search_params``, ``search_tuning``),
    atomically."""
    manifest = IndexManifest.read(Path(path))
    params = {**manifest.index.get("search_params", {}), result["param"]: result["value"]}
    described = {**manifest.index, "search_params": params, "search_tuning": result}
    updated = replace(manifest, index=described)
    updated.write(Path(path))
    return updated


def _ladder(param: str, faiss_index: Any) -> list[int]:
    if param == "nprobe":
        ivf = faiss.extract_index_ivf(faiss_index)
        return [v for v in LADDERS[param] if v < ivf.nlist] + [int(ivf.nlist)]
    return list(LADDERS[param])


def _queries(index: ConceptIndex, count: int, seed: int) -> list[str]:
    """``count`` live names, drawn with ``seed``, each perturbed as a mention would be."""
    rnd = random.Random(seed)
    live = index.vectors.live
    rows = np.flatnonzero(live.mask) if live is not None else np.arange(len(index.vectors))
    picked = sorted(rnd.sample(range(len(rows)), min(count, len(rows))))
    found = index.store.lookup(int(rows[i]) for i in picked)
    return [perturb(found[int(rows[i])].name, rnd) for i in picked]


def _p50_ms(index: ConceptIndex, query: NDArray[np.float32]) -> float:
    """Median time of one single-query search on one thread (FAISS only)."""
    threads = index.vectors.threads
    index.vectors.threads = 1
    times = []
    for row in query[:LATENCY_QUERIES]:
        started = time.perf_counter()
        index.vectors.search(row[None, :], K)
        times.append(time.perf_counter() - started)
    index.vectors.threads = threads
    return float(np.median(times) * 1000)


class _Vectors:
    """The stored vectors, read back (or encoded again where codes cannot be read back)."""

    def __init__(self, index: ConceptIndex, encoder: TextEncoder, spec: str) -> None:
        self.index, self.encoder = index, encoder
        self.encode = re.search(r"x4fs", spec) is not None and "RFlat" not in spec
        ivf = faiss.try_extract_index_ivf(index.vectors.index)
        if not self.encode and ivf is not None and "RFlat" not in spec:
            try:
                ivf.make_direct_map()
            except RuntimeError as exc:
                raise IndexFormatError(
                    f"{index.path}: cannot read its vectors back ({exc})"
                ) from exc
        live = index.vectors.live
        self.live = live.mask if live is not None else None
        self._encoded: dict[int, NDArray[np.float32]] = {}  # the hits' vectors, encoded once

    def rows(self, rows: NDArray[np.int64], keep: bool = False) -> NDArray[np.float32]:
        """The vectors of ``rows``; ``keep``: remember encoded ones (the hits, asked again)."""
        if not self.encode:
            vectors: NDArray[np.float32] = self.index.vectors.index.reconstruct_batch(rows)
            return vectors
        wanted = [int(r) for r in rows]
        missing = [r for r in wanted if r not in self._encoded] if keep else wanted
        found = self.index.store.lookup(missing)
        encoded = self.encoder.encode([found[r].name for r in missing]) if missing else None
        if not keep and encoded is not None:
            return encoded
        if encoded is not None:
            self._encoded.update(zip(missing, encoded, strict=True))
        return np.stack([self._encoded[r] for r in wanted])

    def exact_kth(self, query: NDArray[np.float32]) -> NDArray[np.float32]:
        """Each query's exact 10th best score over the live rows (a chunked pass)."""
        total = len(self.index.vectors)
        best = np.full((len(query), K), -np.inf, dtype=np.float32)
        for start in range(0, total, EXACT_CHUNK):
            rows = np.arange(start, min(total, start + EXACT_CHUNK), dtype=np.int64)
            if self.live is not None:
                rows = rows[self.live[rows]]
            if not len(rows):
                continue
            scores = query @ self.rows(rows).T
            both = np.concatenate([best, scores], axis=1)
            best = np.partition(both, both.shape[1] - K, axis=1)[:, -K:]
        kth: NDArray[np.float32] = best.min(axis=1)
        return kth

    def recall(
        self, query: NDArray[np.float32], found: NDArray[np.int64], kth: NDArray[np.float32]
    ) -> float:
        rows = np.unique(found[found >= 0])
        position = {int(r): i for i, r in enumerate(rows)}
        vectors = self.rows(rows, keep=True)
        hits = 0
        for q, hit_rows, floor in zip(query, found, kth, strict=True):
            got = [vectors[position[int(r)]] @ q >= floor - 1e-5 for r in hit_rows if r >= 0]
            hits += sum(got)
        return hits / found.size
