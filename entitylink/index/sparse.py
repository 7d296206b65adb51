"""The sparse half of an index: character n-gram TF-IDF vectors of every name.

::

    indexes/medic/
      sparse_vocabulary.json   the n-grams, column by column (JSON list)
      sparse_idf.npy           their inverse document frequencies (float32)
      sparse_names.npz         names x n-grams, L2-normalised rows (SciPy CSR, no pickle)

(the names: :mod:`.layout`; :mod:`.sparse_writer` adds the part to an existing directory).

Row ``i`` of the matrix is name row ``i`` of ``concepts.sqlite``, as for the FAISS vectors. The
settings (:data:`SETTINGS`, the TF-IDF baseline's: scispaCy's candidate generator uses the same
character 3-grams) and the number of n-grams are recorded in the manifest's ``index.sparse``,
the files' sizes and checksums with the others', and checked on load.

>>> sparse = SparseIndex.build(["asthma", "bronchial asthma", "fever"])
>>> scores, rows = sparse.search(["asthmatic"], k=2)
>>> rows[0].tolist()
[0, 1]
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..errors import IndexFormatError
from .checksums import file_checksum
from .layout import SPARSE_FILES, SPARSE_IDF, SPARSE_MATRIX, SPARSE_VOCABULARY

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

logger = logging.getLogger(__name__)

SETTINGS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (3, 3), "lowercase": True}
# the linker's w in dense + w * sparse until entitylink tune records one: written into the
# manifest's index.sparse.weight with the sparse part (BioSyn learns its w from a similar start)
DEFAULT_WEIGHT = 0.5
SEARCH_CELLS = 1 << 24  # query x name products held at once by search(), at most
Matrix = Any  # scipy.sparse.csr_matrix (SciPy has no type stubs here)


def _vectorizer(
    settings: dict[str, Any], vocabulary: dict[str, int] | None = None
) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer  # 1-2 s: only with a sparse part

    options = {**settings, "ngram_range": tuple(settings["ngram_range"])}
    return TfidfVectorizer(dtype=np.float32, vocabulary=vocabulary, **options)


def _sparse() -> Any:
    """``scipy.sparse``, imported on first use: an index without a sparse part never needs it."""
    import scipy.sparse

    return scipy.sparse


class SparseIndex:
    """TF-IDF vectors of the names of an index, and their top-k search by dot product."""

    def __init__(self, vectorizer: TfidfVectorizer, matrix: Matrix) -> None:
        self.vectorizer = vectorizer
        self.matrix = matrix.tocsr()
        self._by_gram = self.matrix.T.tocsr()  # n-grams x names: what a query multiplies

    @classmethod
    def build(cls, names: Sequence[str], settings: dict[str, Any] | None = None) -> SparseIndex:
        """Fit the vectorizer on ``names`` and vectorise them."""
        vectorizer = _vectorizer(settings or SETTINGS)
        matrix = vectorizer.fit_transform(names)
        return cls(vectorizer, matrix)

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def features(self) -> int:
        return int(self.matrix.shape[1])

    def describe(self) -> dict[str, Any]:
        """The manifest's ``index.sparse`` entry."""
        settings = {k: getattr(self.vectorizer, k) for k in SETTINGS}
        return {**settings, "ngram_range": list(settings["ngram_range"]), "features": self.features}

    def encode(self, texts: Sequence[str]) -> Matrix:
        """TF-IDF vectors of ``texts`` (L2-normalised rows)."""
        return self.vectorizer.transform(texts).tocsr()

    def search(
        self, texts: Sequence[str] | Matrix, k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Scores and rows of the ``k`` best names per query, best first; rows -1 pad.

        Queries are multiplied in chunks of at most :data:`SEARCH_CELLS` // names rows, so the
        products held at once stay bounded (MeSH: 21 queries of 784k names).
        """
        queries: Matrix = texts if _sparse().issparse(texts) else self.encode(list(texts))
        n = queries.shape[0]
        k = max(1, min(k, len(self)))
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        rows = np.full((n, k), -1, dtype=np.int64)
        chunk = max(1, min(1024, SEARCH_CELLS // max(1, len(self))))
        for start in range(0, n, chunk):
            products = (queries[start : start + chunk] @ self._by_gram).tocsr()
            for offset in range(products.shape[0]):
                lo, hi = products.indptr[offset], products.indptr[offset + 1]
                data, columns = products.data[lo:hi], products.indices[lo:hi]
                if len(data) > k:
                    keep = np.argpartition(-data, k - 1)[:k]
                    data, columns = data[keep], columns[keep]
                order = np.lexsort((columns, -data))  # best first; ties by row
                scores[start + offset, : len(order)] = data[order]
                rows[start + offset, : len(order)] = columns[order]
        return scores, rows

    def scores(self, queries: Matrix, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """Sparse scores of query ``i`` against the names ``rows[i]`` (row -1 scores 0), all
        pairs at once: the element-wise product of the repeated query rows and the name rows."""
        n, width = rows.shape
        flat = rows.ravel()
        valid = flat >= 0
        out = np.zeros(n * width, dtype=np.float32)
        if valid.any():
            repeated = queries[np.repeat(np.arange(n), width)[valid]]
            products = repeated.multiply(self.matrix[flat[valid]]).sum(axis=1)
            out[valid] = np.asarray(products, dtype=np.float32).ravel()
        return out.reshape(n, width)

    def save(self, directory: Path) -> dict[str, str]:
        """Write the three files into ``directory``; returns their checksums."""
        terms = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.__getitem__)
        (directory / SPARSE_VOCABULARY).write_text(json.dumps(terms, ensure_ascii=False))
        np.save(directory / SPARSE_IDF, self.vectorizer.idf_.astype(np.float32))
        _sparse().save_npz(directory / SPARSE_MATRIX, self.matrix, compressed=False)
        return {name: file_checksum(directory / name) for name in SPARSE_FILES}

    @classmethod
    def load(cls, directory: Path, description: dict[str, Any], names: int) -> SparseIndex:
        """Read the files :meth:`save` wrote, refusing any that disagree with the manifest's
        ``description`` (``index.sparse``) or with the number of names."""
        try:
            terms = json.loads((directory / SPARSE_VOCABULARY).read_text())
            idf = np.load(directory / SPARSE_IDF, allow_pickle=False)
            matrix = _sparse().load_npz(directory / SPARSE_MATRIX)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise IndexFormatError(
                f"{directory}: unreadable sparse index ({type(exc).__name__}: {exc}); "
                "run entitylink verify, or add it again with entitylink reindex --sparse"
            ) from exc
        features = description.get("features")
        expected = (names, features)
        if not isinstance(terms, list) or len(terms) != len(idf) or len(terms) != features:
            raise IndexFormatError(
                f"{directory / SPARSE_VOCABULARY}: {len(terms)} n-grams and {len(idf)} idf "
                f"values, the manifest says {features}: the sparse files do not belong together"
            )
        if matrix.shape != expected:
            raise IndexFormatError(
                f"{directory / SPARSE_MATRIX}: a {matrix.shape[0]} x {matrix.shape[1]} matrix, "
                f"expected {names} names x {features} n-grams: it belongs to another index"
            )
        settings = {k: description.get(k, v) for k, v in SETTINGS.items()}
        vectorizer = _vectorizer(settings, {term: i for i, term in enumerate(terms)})
        vectorizer.idf_ = idf
        return cls(vectorizer, matrix)
