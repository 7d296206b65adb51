"""The vector half of an index directory: one FAISS index, built from a FAISS factory string.

Rows are the ``names.row`` of the concept store; the vector index knows nothing about concepts.
Similarity is always inner product (cosine when vectors are L2-normalised).

>>> index = VectorIndex.create("HNSW32", dim=384)                   # doctest: +SKIP
>>> scores, rows = index.search(queries, k=10)                      # doctest: +SKIP

Which factory string to use, and its search parameters: :mod:`entitylink.index.specs`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray

from ..encoding.threads import threads_for
from ..errors import IndexFormatError
from .checksums import HashingFile
from .vector_file import gather_rows, release_rows, training_rows

logger = logging.getLogger(__name__)

TRAIN_SAMPLE = 200_000  # vectors used to train IVF / PQ / SQ indexes
ADD_CHUNK = 65_536
# IO_FLAG_MMAP_IFC (recent FAISS) maps flat codes and IVF lists; IO_FLAG_MMAP only IVF lists
MMAP_FLAGS = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP) | faiss.IO_FLAG_READ_ONLY


class RowSelector:
    """The rows a search may return, as a FAISS bitmap selector (one bit per row).

    Searches given one skip every other row inside FAISS (``SearchParameters(sel=...)``): a
    filter on a few types costs no more than an unfiltered search.
    """

    def __init__(
        self, rows: NDArray[np.int64], total: int, *, within: NDArray[np.bool_] | None = None
    ) -> None:
        mask = np.zeros(total, dtype=bool)
        mask[rows[(rows >= 0) & (rows < total)]] = True
        if within is not None:  # only rows also selected there (the live rows)
            mask &= within
        self.count = int(mask.sum())
        self.mask = mask  # True for the selected rows
        self._bitmap = np.packbits(mask, bitorder="little")  # kept alive for FAISS
        self.selector = faiss.IDSelectorBitmap(len(self._bitmap), faiss.swig_ptr(self._bitmap))

    def __len__(self) -> int:
        return self.count


def _search_parameters(index: Any, selector: Any, keep: list[Any]) -> Any:
    """Search parameters carrying ``selector`` for this kind of index, with its own settings.

    FAISS refuses parameters of the wrong class (IVF, HNSW and refine indexes take their own),
    and parameters given replace the index's (``nprobe``, ``efSearch``), so they are copied.
    """
    lib: Any = faiss  # the keyword constructors below are added at run time, not in the stubs
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexRefine):
        base = _search_parameters(index.base_index, selector, keep)
        params = lib.IndexRefineSearchParameters(k_factor=index.k_factor, base_index_params=base)
    elif isinstance(index, faiss.IndexIVF):
        params = lib.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
    elif isinstance(index, faiss.IndexHNSW):
        params = lib.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    else:
        params = lib.SearchParameters(sel=selector)
    keep.append(params)  # SWIG does not keep nested parameters alive
    return params


class VectorIndex:
    """A FAISS index with its search parameters."""

    def __init__(
        self,
        index: faiss.Index,
        search_params: dict[str, int] | None = None,
        path: Path | None = None,
    ) -> None:
        self.index = index
        self.path = path  # the file it was loaded from, for error messages
        # FAISS (OpenMP) threads per search: None follows entitylink.encoding.threads (one for a
        # few queries: OpenMP threads spinning on a busy machine cost ~100 ms a query)
        self.threads: int | None = None
        self.search_params = dict(search_params or {})
        # scores above it mean damaged vectors (set on load for normalised encoders: 1 + slack)
        self.score_limit: float | None = None
        # the rows still searched once some were retired (entitylink update --remove): every
        # search skips the others inside FAISS; None: all rows are live
        self.live: RowSelector | None = None
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

    def retire(self, rows: NDArray[np.int64]) -> None:
        """Never return ``rows`` again: every later search skips them (a bitmap selector inside
        FAISS, which works for every spec; HNSW cannot ``remove_ids``). On the 100k-vector
        Flat, HNSW32 and IVF256 indexes of a micro-benchmark the selector cost no measurable
        time per query. ``entitylink compact`` removes them for good."""
        if len(rows):
            everything = np.arange(len(self), dtype=np.int64)
            self.live = RowSelector(np.setdiff1d(everything, rows), len(self))

    @property
    def live_count(self) -> int:
        """Rows a search may return: all but the retired ones."""
        return len(self) if self.live is None else len(self.live)

    def fill(
        self,
        vectors: NDArray[np.float32],
        *,
        seed: int = 0,
        on_added: Callable[[int], object] = lambda n: None,
    ) -> None:
        """Train when the spec needs it (on a random sample), then add ``vectors`` in chunks.

        ``vectors`` may be a memory-mapped array: only one chunk is held in memory at a time
        (:func:`release_rows` unmaps each once added), and the training sample is drawn
        without a permutation of all rows.
        """
        n = len(vectors)
        if not self.index.is_trained:
            sample = training_rows(n, TRAIN_SAMPLE, seed)
            logger.info("training the FAISS index on %d vectors", len(sample))
            self.index.train(gather_rows(vectors, sample))
        for start in range(0, n, ADD_CHUNK):
            chunk = np.ascontiguousarray(vectors[start : start + ADD_CHUNK])
            self.index.add(chunk)
            release_rows(vectors, start, start + len(chunk))
            on_added(len(chunk))

    def spread(self, count: int) -> tuple[NDArray[np.int64], NDArray[np.float32]] | None:
        """``count`` stored vectors (at most all) at rows spread evenly, first and last
        included, with those rows; None when the index cannot give vectors back (IVF without a
        direct map). One ``reconstruct_batch``: 0.3 ms cold, where a loop took 6 ms."""
        total = len(self)
        count = min(count, total)
        spread = {(total - 1) * i // max(count - 1, 1) for i in range(count)}
        rows = np.array(sorted(spread), dtype=np.int64)  # (np.unique costs 5 ms on first use)
        try:
            return rows, self.index.reconstruct_batch(rows)
        except RuntimeError:
            return None

    def stored(self, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """The stored vectors of ``rows`` (exact for ``Flat`` and ``HNSW`` specs, decoded
        approximations for ``SQ``/``PQ``); an index that cannot give them back (IVF without a
        direct map) raises ``IndexFormatError``."""
        try:
            vectors: NDArray[np.float32] = self.index.reconstruct_batch(rows)
        except RuntimeError as exc:
            raise unreadable(self.path, exc) from exc
        return vectors

    def selector(self, rows: NDArray[np.int64]) -> RowSelector:
        """A :class:`RowSelector` of ``rows`` (rows outside the index, or retired, are ignored)."""
        return RowSelector(rows, len(self), within=None if self.live is None else self.live.mask)

    def search(
        self, queries: NDArray[np.float32], k: int, *, only: RowSelector | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Scores and rows of the ``k`` nearest vectors per query; missing hits have row -1.

        ``only`` restricts the search to the selected rows (inside FAISS, not afterwards).
        """
        only = only if only is not None else self.live
        k = max(1, min(k, len(self), len(only) if only is not None else len(self)))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        threads = threads_for(len(queries), self.threads)
        if faiss.omp_get_max_threads() != threads:
            faiss.omp_set_num_threads(threads)
        try:
            if only is None:
                scores, rows = self.index.search(queries, k)
            else:
                keep: list[Any] = []
                params = _search_parameters(self.index, only.selector, keep)
                scores, rows = self.index.search(queries, k, params=params)
        except RuntimeError as exc:
            raise unreadable(self.path, exc) from exc
        self._check_scores(scores, rows)
        return scores, rows

    def _check_scores(self, scores: NDArray[np.float32], rows: NDArray[np.int64]) -> None:
        """Refuse scores that cosines of unit vectors cannot be (above :attr:`score_limit`,
        NaN, infinite): the vector file is damaged."""
        if self.score_limit is None:
            return
        found = scores[rows >= 0]
        if found.size and not (np.isfinite(found).all() and found.max() <= self.score_limit):
            worst = found[~np.isfinite(found)][:1] if not np.isfinite(found).all() else found.max()
            raise IndexFormatError(
                f"{self.path or 'the FAISS index'}: a search scored {float(np.max(worst)):.4g}, "
                f"but the index holds unit vectors (cosines at most 1): the vector file is "
                "damaged; run entitylink verify on the index directory, or rebuild it"
            )

    def save(self, path: Path) -> str:
        """Write the index to ``path``, hashed as it is written; returns its checksum.

        A failed write (a full disk) raises the ``OSError`` itself, not FAISS's wrapper.
        """
        out = HashingFile(path)
        try:
            writer = faiss.PyCallbackIOWriter(out.write)  # type: ignore[attr-defined]
            faiss.write_index(self.index, writer)
        except BaseException as exc:
            out.abort()
            if isinstance(exc, RuntimeError) and out.error is not None:
                raise out.error from exc
            raise
        return out.close()

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        mmap: bool = False,
        search_params: dict[str, int] | None = None,
    ) -> VectorIndex:
        """Read an index written by :meth:`save`; ``mmap`` maps it instead of reading it.

        Mapped, the vectors or codes (``Flat``, ``SQ8``, ``RFlat``'s full vectors, IVF lists)
        stay in the page cache, read on first use and shared between processes: the MeSH
        ``IVF4096,PQ96x4fs,RFlat`` file (1.3 GB) loads in 0.04 s instead of 1.4 s.
        """
        flags = MMAP_FLAGS if mmap else 0
        try:
            index = faiss.read_index(str(path), flags)
        except RuntimeError as exc:
            raise unreadable(path, exc) from exc
        return cls(index, search_params, path)


def unreadable(path: Path | None, exc: BaseException) -> IndexFormatError:
    """The error for a FAISS file that FAISS cannot read or search."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return IndexFormatError(
        f"{path or 'the FAISS index'}: FAISS cannot read it ({first}); "
        "run entitylink verify on the index directory, or rebuild it"
    )
