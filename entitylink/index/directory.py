"""A loaded index directory: its manifest, vector index and concept store, checked together.

>>> index = ConceptIndex.load("indexes/sample")                 # doctest: +SKIP
>>> index = ConceptIndex.load("indexes/sample", verify=True)    # doctest: +SKIP
>>> verify_index("indexes/sample")                              # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IndexFormatError
from .checksums import verify_checksums
from .layout import CONCEPTS, VECTORS
from .manifest import IndexManifest
from .retired import read_retired
from .sparse import SparseIndex
from .store import ConceptStore
from .vectors import VectorIndex

logger = logging.getLogger(__name__)

NORM_PROBES = 64  # stored vectors whose norms are checked at every load (normalised encoders)
# how far from 1 a probe's norm may be: exact specs keep float32 vectors (norm 1 +- 1e-6),
# the others (SQ, PQ) keep approximations
NORM_SLACK_EXACT, NORM_SLACK_APPROXIMATE = 0.01, 0.5
# a cosine above 1 + this is no cosine: the vectors are damaged. Approximate codes overshoot:
# on the 1,658-name sample, SQ8 scored up to 1.0008 and IVF16,SQ4 up to 1.022
SCORE_SLACK_EXACT, SCORE_SLACK_APPROXIMATE = 0.05, 0.5
_EXACT_SPEC = re.compile(r"Flat|HNSW\d+(,Flat)?|IDMap,Flat")
_KEPT_SPEC = re.compile(r"Flat|HNSW\d+(,Flat|,SQfp16)?|IDMap,Flat|SQfp16")


def verify_index(path: str | Path) -> ConceptIndex:
    """Compare every file of an index directory with the checksums its manifest records, then
    load it; ``IndexFormatError`` names the first file that differs (or says that the index
    records no checksums)."""
    path = Path(path)
    verify_checksums(path, IndexManifest.read(path).checksums)
    return ConceptIndex.load(path)


@dataclass(frozen=True)
class ConceptIndex:
    """A loaded index directory: manifest, vector index and concept store, checked together."""

    path: Path
    manifest: IndexManifest
    vectors: VectorIndex
    store: ConceptStore
    sparse: SparseIndex | None = None  # the TF-IDF part, when built with it (manifest index.sparse)

    @property
    def keeps_vectors(self) -> bool:
        """Whether :meth:`~.vectors.VectorIndex.stored` gives the vectors back as the encoder
        made them: exactly (``Flat``, ``HNSW32``), or rounded to float16 (``SQfp16``,
        ``HNSW32,SQfp16``: 11 significant bits, scores within 3e-4)."""
        return _KEPT_SPEC.fullmatch(self.manifest.index["spec"]) is not None

    @property
    def hybrid_weight(self) -> float | None:
        """``w`` of ``dense + w * sparse`` recorded in the manifest (by ``entitylink tune``)."""
        weight = self.manifest.index.get("sparse", {}).get("weight")
        return float(weight) if isinstance(weight, int | float) else None

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        mmap: bool = False,
        search_params: Mapping[str, int] | None = None,
        verify: bool = False,
    ) -> ConceptIndex:
        """Open an index directory, refusing one whose parts disagree with its manifest.

        Files are checked against the manifest's sizes; with ``verify``, also against its
        checksums (reading every byte: about a second per GB), before FAISS reads them.
        """
        path = Path(path)
        manifest = IndexManifest.read(path)
        if verify:  # no checksums is an error here too: nothing would be verified
            verify_checksums(path, manifest.checksums)
        params = {**manifest.index.get("search_params", {}), **(search_params or {})}
        vectors = VectorIndex.load(path / VECTORS, mmap=mmap, search_params=params)
        store = ConceptStore(path / CONCEPTS)
        _check_counts(path, manifest, vectors, store)
        if vectors.dim != manifest.encoder["dim"]:
            raise IndexFormatError(
                f"{path}: vectors have dimension {vectors.dim}, "
                f"the manifest's encoder {manifest.encoder['dim']}"
            )
        if manifest.encoder.get("normalize", True):
            _check_norms(path, vectors, manifest.index["spec"])
            exact = _EXACT_SPEC.fullmatch(manifest.index["spec"]) is not None
            vectors.score_limit = 1.0 + (SCORE_SLACK_EXACT if exact else SCORE_SLACK_APPROXIMATE)
        sparse = None
        if isinstance(manifest.index.get("sparse"), dict):
            sparse = SparseIndex.load(path, manifest.index["sparse"], manifest.counts["names"])
        return cls(path, manifest, vectors, store, sparse)


def _check_counts(
    path: Path, manifest: IndexManifest, vectors: VectorIndex, store: ConceptStore
) -> None:
    """Refuse parts that disagree with the manifest's counts, and retire the retired rows.

    ``counts.rows`` (vectors, retired ones included) is recorded once an update retired some;
    the store's names are then the live rows, below ``rows``."""
    expected = manifest.counts
    rows = expected.get("rows", expected["names"])
    concepts, last = store.counts()  # last: one more than the largest row of a name
    retired = read_retired(path, rows)
    live = rows - len(retired)
    dense = last == rows if not len(retired) else last <= rows
    if (
        len(vectors) != rows
        or not dense
        or live != expected["names"]
        or (concepts != expected["concepts"])
    ):
        raise IndexFormatError(
            f"{path}: {len(vectors)} vectors, {last} names and {concepts} concepts "
            f"({len(retired)} rows retired), but the manifest says {rows} vectors, "
            f"{expected['names']} names and {expected['concepts']} concepts"
        )
    vectors.retire(retired)


def _check_norms(path: Path, vectors: VectorIndex, spec: str) -> None:
    """Refuse an index of normalised vectors when one of :data:`NORM_PROBES` stored vectors,
    spread over the rows, is not of norm 1 (a damaged file: a flipped exponent bit gives norms
    in the thousands). About a millisecond; an index that cannot give vectors back (IVF
    without a direct map) is not probed."""
    sample = vectors.spread(NORM_PROBES) if len(vectors) else None
    if sample is None:
        return
    rows, stored = sample
    norms = np.linalg.norm(stored.astype(np.float64), axis=1)
    slack = NORM_SLACK_EXACT if _EXACT_SPEC.fullmatch(spec) else NORM_SLACK_APPROXIMATE
    bad = ~np.isfinite(norms) | (np.abs(norms - 1.0) > slack)
    if bad.any():
        row = int(rows[np.argmax(bad)])
        raise IndexFormatError(
            f"{path}: stored vector {row} has norm {norms[np.argmax(bad)]:.4g}, but the "
            "encoder normalises its vectors (norm 1): the vector file is damaged; run "
            "entitylink verify on the index directory, or rebuild it"
        )
