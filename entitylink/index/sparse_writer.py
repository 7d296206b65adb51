"""Writing the sparse part of an index directory, and recording the hybrid weight ``w``.

``dense + w * sparse`` is how :class:`~entitylink.linking.linker.Linker` scores a name in hybrid
mode (BioSyn's form, :mod:`entitylink.linking.hybrid`); ``w`` lives in the manifest's
``index.sparse.weight``, :data:`~entitylink.index.sparse.DEFAULT_WEIGHT` until ``entitylink
tune`` writes one. :func:`write_sparse` is the part of ``build_index`` and ``reindex``; the other
two functions change an existing directory in place: the new files first (under temporary
names, renamed when complete), the manifest last and atomically, so an interruption leaves the
index as it was, loadable.

>>> add_sparse("indexes/medic")                 # doctest: +SKIP
>>> set_hybrid_weight("indexes/medic", 0.4)     # doctest: +SKIP
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import IndexFormatError
from ..files import PARTIAL_REMOVED, writing
from .directory import ConceptIndex
from .layout import MANIFEST, SPARSE_FILES
from .manifest import IndexManifest
from .sparse import DEFAULT_WEIGHT, SparseIndex
from .store import ConceptStore

__all__ = ["add_sparse", "set_hybrid_weight", "write_sparse"]

logger = logging.getLogger(__name__)


def write_sparse(
    store: ConceptStore, directory: Path, names: int, weight: float | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Vectorise the store's ``names`` names into ``directory``; returns the manifest's
    ``index.sparse`` entry and the files' checksums."""
    sparse = SparseIndex.build(store.names(0, names))
    checksums = sparse.save(directory)
    return {**sparse.describe(), "weight": DEFAULT_WEIGHT if weight is None else weight}, checksums


def _write_manifest(path: Path, manifest: IndexManifest) -> None:
    """:meth:`IndexManifest.write`, a failed write named as :func:`atomic_file` names it."""
    with writing(path / MANIFEST, note=PARTIAL_REMOVED):
        manifest.write(path)


def add_sparse(path: str | Path, *, weight: float | None = None) -> ConceptIndex:
    """Add (or rebuild) the TF-IDF part of an index directory, without touching its vectors."""
    index = ConceptIndex.load(path)
    names = index.manifest.counts["names"]
    with tempfile.TemporaryDirectory(dir=index.path, prefix=".sparse-") as tmp:
        with writing(index.path / SPARSE_FILES[-1], inside=Path(tmp)):
            description, checksums = write_sparse(index.store, Path(tmp), names, weight)
            for name in SPARSE_FILES:
                (Path(tmp) / name).replace(index.path / name)
    files = {**index.manifest.files}
    files.update({name: (index.path / name).stat().st_size for name in SPARSE_FILES})
    manifest = replace(
        index.manifest,
        index={**index.manifest.index, "sparse": description},
        files=files,
        checksums={**index.manifest.checksums, **checksums},
    )
    _write_manifest(index.path, manifest)
    logger.info("%s: added the sparse index (%d n-grams)", index.path, description["features"])
    return ConceptIndex.load(index.path)


def set_hybrid_weight(path: str | Path, weight: float, note: dict[str, Any] | None = None) -> None:
    """Record ``w`` (and how it was chosen, ``note``) in an index's manifest, atomically."""
    manifest = IndexManifest.read(Path(path))
    sparse = manifest.index.get("sparse")
    if not isinstance(sparse, dict):
        raise IndexFormatError(
            f"{path}: no sparse index to weigh; add one with entitylink reindex --sparse"
        )
    sparse = {**sparse, "weight": float(weight), **({"tuned": note} if note else {})}
    _write_manifest(Path(path), replace(manifest, index={**manifest.index, "sparse": sparse}))
