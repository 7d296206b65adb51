"""Sparse and hybrid candidate search: the union of the dense and sparse top names, rescored.

In ``hybrid`` mode a name scores ``dense + w * sparse`` (BioSyn's form): dense is the encoder's
inner product, sparse the TF-IDF cosine of character n-grams. Candidates are the union of the
dense top ``fetch`` names (FAISS) and the sparse top ``fetch`` names
(:meth:`~entitylink.index.sparse.SparseIndex.search`); each gets both scores, the missing one
computed exactly (the name's vector read back from FAISS, or its TF-IDF row). An index whose
FAISS spec cannot give vectors back (IVF without a direct map) gives a sparse-only name the
lowest dense score of the query's dense top names instead, a lower bound of sorts.

Both functions return what :meth:`VectorIndex.search` returns: scores and rows, best first,
row -1 for padding, so the linker collapses them into concepts the same way.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

from ..errors import IndexFormatError, InputError
from ..index.directory import ConceptIndex
from ..index.sparse import SparseIndex
from ..index.vectors import RowSelector
from .options import MODES

logger = logging.getLogger(__name__)

Hits = tuple[NDArray[np.float32], NDArray[np.int64]]


def require_sparse(index: ConceptIndex, mode: str) -> SparseIndex:
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if index.sparse is None:
        raise IndexFormatError(
            f"{index.path}: mode {mode!r} needs the index's sparse part, which it lacks; add it "
            f"with: entitylink reindex {index.path} --out NEW --spec Flat --sparse"
        )
    return index.sparse


def sparse_search(index: ConceptIndex, texts: list[str], fetch: int) -> Hits:
    """The sparse top ``fetch`` names of each text."""
    return require_sparse(index, "sparse").search(texts, fetch)


def hybrid_search(
    index: ConceptIndex,
    queries: NDArray[np.float32],
    texts: list[str],
    fetch: int,
    weight: float,
    only: RowSelector | None = None,
) -> Hits:
    """Union of the dense and sparse top ``fetch`` names, scored ``dense + weight * sparse``."""
    sparse = require_sparse(index, "hybrid")
    dense_scores, dense_rows = index.vectors.search(queries, fetch, only=only)
    encoded = sparse.encode(texts)
    _, sparse_rows = sparse.search(encoded, fetch)
    if only is not None:
        sparse_rows = np.where(only.mask[np.maximum(sparse_rows, 0)], sparse_rows, -1)
    width = dense_rows.shape[1] + sparse_rows.shape[1]
    rows = np.full((len(texts), width), -1, dtype=np.int64)
    for i in range(len(texts)):  # dense hits first, in FAISS's order (it breaks ties), then
        both = np.concatenate([dense_rows[i], sparse_rows[i]])  # the sparse-only ones
        both = both[both >= 0]
        _, first = np.unique(both, return_index=True)
        union = both[np.sort(first)]
        rows[i, : len(union)] = union
    dense = _dense_scores(index, queries, rows, dense_scores, dense_rows)
    found = dense_rows >= 0  # FAISS's own scores for its hits (valid hits come first)
    dense[:, : dense_rows.shape[1]][found] = dense_scores[found]
    scores = dense + weight * sparse.scores(encoded, rows)
    scores[rows < 0] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")
    return np.take_along_axis(scores, order, 1), np.take_along_axis(rows, order, 1)


def _dense_scores(
    index: ConceptIndex,
    queries: NDArray[np.float32],
    rows: NDArray[np.int64],
    dense_scores: NDArray[np.float32],
    dense_rows: NDArray[np.int64],
) -> NDArray[np.float32]:
    """Inner products of each query with its candidate names' vectors."""
    valid = rows >= 0
    flat = np.unique(rows[valid])
    try:
        vectors = index.vectors.index.reconstruct_batch(flat)
    except RuntimeError:
        return _known_dense(rows, dense_scores, dense_rows)
    position = np.searchsorted(flat, np.maximum(rows, 0))
    out: NDArray[np.float32] = np.einsum("qd,qmd->qm", queries, vectors[position])
    out = out.astype(np.float32)
    out[~valid] = 0.0
    return out


def _known_dense(
    rows: NDArray[np.int64], dense_scores: NDArray[np.float32], dense_rows: NDArray[np.int64]
) -> NDArray[np.float32]:
    """Dense scores FAISS gave, and each query's lowest one for the names it did not give."""
    out = np.zeros(rows.shape, dtype=np.float32)
    for i in range(rows.shape[0]):
        known = dict(zip(dense_rows[i].tolist(), dense_scores[i].tolist(), strict=True))
        floor = float(np.min(dense_scores[i][dense_rows[i] >= 0], initial=0.0))
        out[i] = [known.get(r, floor) for r in rows[i].tolist()]
    return out
