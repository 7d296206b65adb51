"""The vector half of an index directory: one FAISS index, built from a FAISS factory string.

Rows are the ``names.row`` of the concept store; the vector index knows nothing about concepts.
Similarity is always inner product (cosine when vectors are L2-normalised).

>>> index = VectorIndex.create("HNSW32", dim=384)                   # doctest: +SKIP
>>> scores, rows = index.search(queries, k=10)                      # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

TRAIN_SAMPLE = 200_000  # vectors used to train IVF / PQ / SQ indexes
ADD_CHUNK = 65_536


def default_search_params(spec: str) -> dict[str, int]:
    """Search parameters that keep approximate specs close to exact search.

    IVF probes an eighth of its lists (at least 32): on MeSH (784k names, MiniLM) with
    ``IVF1024,SQ8``, recall@10 against ``Flat`` was 0.875 with 32 probes and 0.945 with 128.
    """
    params: dict[str, int] = {}
    if "HNSW" in spec:
        params["efSearch"] = 128
    if match := re.search(r"IVF(\d+)", spec):
        lists = int(match.group(1))
        params["nprobe"] = min(lists, max(32, lists // 8))
    return params


class VectorIndex:
    """A FAISS index with its search parameters."""

    def __init__(self, index: faiss.Index, search_params: dict[str, int] | None = None) -> None:
        self.index = index
        self.search_params = dict(search_params or {})
        if self.search_params:
            text = ",".join(f"{k}={v}" for k, v in self.search_params.items())
            try:
                faiss.ParameterSpace().set_index_parameters(index, text)  # type: ignore[arg-type]
            except RuntimeError as exc:
                raise ValueError(
                    f"search parameters {text!r} do not fit this index: {exc}"
                ) from exc

    @classmethod
    def create(cls, spec: str, dim: int) -> VectorIndex:
        """An empty index from a factory string (``Flat``, ``HNSW32``, ``IVF4096,SQ8``...)."""
        try:
            index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise ValueError(f"invalid FAISS factory string {spec!r}: {exc}") from exc
        return cls(index)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def fill(
        self,
        vectors: NDArray[np.float32],
        *,
        seed: int = 0,
        on_added: Callable[[int], object] = lambda n: None,
    ) -> None:
        """Train when the spec needs it (on a random sample), then add ``vectors`` in chunks.

        ``vectors`` may be a memory-mapped array: only one chunk is read into memory at a time.
        """
        if not self.index.is_trained:
            n = len(vectors)
            sample = np.sort(np.random.default_rng(seed).permutation(n)[: min(n, TRAIN_SAMPLE)])
            logger.info("training the FAISS index on %d vectors", len(sample))
            self.index.train(np.ascontiguousarray(vectors[sample]))
        for start in range(0, len(vectors), ADD_CHUNK):
            chunk = np.ascontiguousarray(vectors[start : start + ADD_CHUNK])
            self.index.add(chunk)
            on_added(len(chunk))

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Scores and rows of the ``k`` nearest vectors per query; missing hits have row -1."""
        k = max(1, min(k, len(self)))
        scores, rows = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, rows

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        mmap: bool = False,
        search_params: dict[str, int] | None = None,
    ) -> VectorIndex:
        """Read an index written by :meth:`save`; ``mmap`` maps it instead of reading it."""
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        return cls(faiss.read_index(str(path), flags), search_params)
