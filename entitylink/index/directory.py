"""A loaded index directory: its manifest, vector index and concept store, checked together.

>>> index = ConceptIndex.load("indexes/sample")                 # doctest: +SKIP
>>> index = ConceptIndex.load("indexes/sample", verify=True)    # doctest: +SKIP
>>> verify_index("indexes/sample")                              # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import IndexFormatError
from .checksums import verify_checksums
from .layout import CONCEPTS, VECTORS
from .manifest import IndexManifest
from .sparse import SparseIndex
from .store import ConceptStore
from .vectors import VectorIndex

logger = logging.getLogger(__name__)


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
        if verify and not manifest.checksums:
            logger.warning("%s records no checksums; rebuild it to get them", path)
        elif verify:
            verify_checksums(path, manifest.checksums)
        params = {**manifest.index.get("search_params", {}), **(search_params or {})}
        vectors = VectorIndex.load(path / VECTORS, mmap=mmap, search_params=params)
        store = ConceptStore(path / CONCEPTS)
        concepts, names = store.counts()
        expected = manifest.counts
        if (len(vectors), names, concepts) != (
            expected["names"],
            expected["names"],
            expected["concepts"],
        ):
            raise IndexFormatError(
                f"{path}: {len(vectors)} vectors, {names} names and {concepts} concepts, but the "
                f"manifest says {expected['names']} names and {expected['concepts']} concepts"
            )
        if vectors.dim != manifest.encoder["dim"]:
            raise IndexFormatError(
                f"{path}: vectors have dimension {vectors.dim}, "
                f"the manifest's encoder {manifest.encoder['dim']}"
            )
        sparse = None
        if isinstance(manifest.index.get("sparse"), dict):
            sparse = SparseIndex.load(path, manifest.index["sparse"], names)
        return cls(path, manifest, vectors, store, sparse)
