"""The vector half of an index directory: one FAISS index, built from a FAISS factory string.

Rows are the ``names.row`` of the concept store; the vector index knows nothing about concepts.
Similarity is always inner product (cosine when vectors are L2-normalised).

>>> index = VectorIndex.create("HNSW32", dim=384)                   # doctest: +SKIP
>>> scores, rows = index.search(queries, k=10)                      # doctest: +SKIP
>>> choose_spec(783_967, 384, memory_budget=parse_size("1GB"))
('HNSW32,SQ8', {'efSearch': 512})
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

TRAIN_SAMPLE = 200_000  # vectors used to train IVF / PQ / SQ indexes
ADD_CHUNK = 65_536
AUTO = "auto"
# Exact search while a query scans at most 200k MiniLM (100k BERT-base) vectors, ~300 MB: Flat
# over all 784k MeSH names took 85 ms per single query here (scripts/bench_index.py).
FLAT_MAX_FLOATS = 200_000 * 384
HNSW_EF_SEARCH = 512  # recall@10 >= 0.99 on MeSH / MiniLM with HNSW32 and HNSW32,SQ8
IVF_NPROBE_SHARE = 50  # percent of the lists probed: recall@10 >= 0.99 on MeSH / MiniLM
HNSW_LINK_BYTES = 272  # per vector: 2 x 32 level-0 links of 4 bytes, plus upper levels
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str) -> int:
    """Bytes in ``"4GB"``, ``"512MiB"``, ``"1.5G"`` or ``"1000000"``.

    >>> parse_size("4GB"), parse_size("512MiB"), parse_size("1.5g")
    (4000000000, 536870912, 1500000000)
    """
    match = re.fullmatch(r"\s*([\d.]+)\s*([kmgt]?)(i?)b?\s*", text.lower())
    if not match:
        raise ValueError(f"cannot read a size from {text!r}; write e.g. 4GB, 512MiB or 1.5G")
    number, unit, binary = match.groups()
    scale = 1024 ** "kmgt".index(unit) * 1024 if binary and unit else _UNITS[unit]
    return int(float(number) * scale)


def ivf_lists(names: int) -> int:
    """About ``4 sqrt(names)`` inverted lists, rounded to a power of two (at least 2)."""
    return int(2 ** max(1, round(math.log2(4 * math.sqrt(max(names, 1))))))


def estimated_bytes(spec: str, names: int, dim: int) -> int:
    """Memory of a loaded index of one of the specs :func:`choose_spec` picks from."""
    per_vector = {"Flat": 4 * dim, "HNSW32": 4 * dim + HNSW_LINK_BYTES}
    per_vector["HNSW32,SQ8"] = dim + HNSW_LINK_BYTES
    if match := re.fullmatch(r"IVF(\d+),(SQ8|PQ(\d+)x4fs)", spec):
        codes = dim if match.group(2) == "SQ8" else int(match.group(3)) // 2
        return names * (codes + 8) + int(match.group(1)) * dim * 4  # codes, ids, centroids
    if spec not in per_vector:
        raise ValueError(f"no memory estimate for {spec!r}")
    return names * per_vector[spec]


def choose_spec(
    names: int, dim: int, memory_budget: int | None = None
) -> tuple[str, dict[str, int]]:
    """The FAISS spec and search parameters for ``--spec auto``, as autofaiss chooses.

    Exact ``Flat`` while ``names * dim`` <= :data:`FLAT_MAX_FLOATS`; then ``HNSW32`` (fast,
    recall@10 >= 0.99 with ``efSearch`` 512 on MeSH), ``HNSW32,SQ8`` (4x smaller vectors),
    ``IVF{k},SQ8`` and last ``IVF{k},PQ{dim/4}x4fs`` (recall@10 well below 0.99; only when
    nothing else fits): the first whose :func:`estimated_bytes` fits ``memory_budget``
    (bytes; ``None``: no limit).

    >>> choose_spec(50_000, 768)
    ('Flat', {})
    >>> choose_spec(12_000_000, 768, memory_budget=parse_size("16GB"))
    ('HNSW32,SQ8', {'efSearch': 512})
    """
    if names < 0 or dim < 1:
        raise ValueError(f"need names >= 0 and dim >= 1, got {names} and {dim}")
    lists = ivf_lists(names)
    nprobe = max(1, lists * IVF_NPROBE_SHARE // 100)
    ladder: list[tuple[str, dict[str, int]]] = [
        ("HNSW32", {"efSearch": HNSW_EF_SEARCH}),
        ("HNSW32,SQ8", {"efSearch": HNSW_EF_SEARCH}),
        (f"IVF{lists},SQ8", {"nprobe": nprobe}),
        (f"IVF{lists},PQ{max(1, dim // 4)}x4fs", {"nprobe": nprobe}),
    ]
    if names * dim <= FLAT_MAX_FLOATS:
        ladder.insert(0, ("Flat", {}))
    for spec, params in ladder:
        if memory_budget is None or estimated_bytes(spec, names, dim) <= memory_budget:
            if spec.startswith("IVF") and "PQ" in spec:
                logger.warning("only %s fits the memory budget: expect recall@10 < 0.99", spec)
            return spec, params
    smallest = estimated_bytes(ladder[-1][0], names, dim)
    raise ValueError(
        f"no index of {names} vectors of dimension {dim} fits {memory_budget} bytes; "
        f"the smallest ({ladder[-1][0]}) needs about {smallest} bytes"
    )


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
