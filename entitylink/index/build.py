"""The index directory: vectors, concept table and a manifest that is checked on load.

::

    indexes/medic/
      manifest.json     written last: format version, versions, encoder, FAISS spec, counts, sizes
      vectors.faiss     FAISS index; row i is names.row i
      concepts.sqlite   concepts and names tables

>>> from entitylink import Encoder, read_vocabulary
>>> concepts = read_vocabulary("data_samples/MRCONSO.RRF")
>>> index = build_index(concepts, Encoder(), "indexes/sample")  # doctest: +SKIP
>>> index = ConceptIndex.load("indexes/sample")  # doctest: +SKIP

A build writes into a hidden temporary directory beside the target and renames it at the end, so
an interrupted build never leaves a directory that loads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from tqdm.auto import tqdm

from ..encoding.encoder import Encoder
from ..errors import IndexExistsError, IndexFormatError
from ..records import Concept
from .manifest import CONCEPTS, MANIFEST, VECTORS, IndexManifest, library_versions, now_utc
from .store import ConceptStore, write_concepts
from .vectors import AUTO, VectorIndex, choose_spec, default_search_params

__all__ = [
    "CONCEPTS",
    "MANIFEST",
    "VECTORS",
    "ConceptIndex",
    "IndexManifest",
    "build_index",
    "flat_vectors",
    "library_versions",
    "reindex",
]

logger = logging.getLogger(__name__)

ENCODE_CHUNK = 16_384


NameEncoding = Callable[[ConceptStore, "np.memmap[Any, Any]"], None]
"""Fills ``vectors[i]`` with the vector of the store's name ``i``, for every row (the hook
:func:`build_index` takes as ``encode_names``; :mod:`entitylink.tables.ray` gives one on Ray)."""


def _encode_names(
    store: ConceptStore,
    encoder: Encoder,
    path: Path,
    n: int,
    batch_size: int,
    progress: bool,
    encode_names: NameEncoding | None,
) -> np.memmap[Any, Any]:
    """Encode every name, chunk by chunk, into a float32 ``.npy`` memory map."""
    vectors = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, encoder.dim))
    if encode_names is not None:
        encode_names(store, vectors)
        vectors.flush()
        return vectors
    with tqdm(total=n, desc="encoding names", unit=" names", disable=not progress) as bar:
        for start in range(0, n, ENCODE_CHUNK):
            names = store.names(start, min(n, start + ENCODE_CHUNK))
            vectors[start : start + len(names)] = encoder.encode(names, batch_size=batch_size)
            bar.update(len(names))
    vectors.flush()
    return vectors


def build_index(
    concepts: Iterable[Concept],
    encoder: Encoder,
    out_dir: str | Path,
    *,
    spec: str = "Flat",
    search_params: Mapping[str, int] | None = None,
    memory_budget: int | None = None,
    overwrite: bool = False,
    batch_size: int = 128,
    vocabulary: Mapping[str, Any] | None = None,
    progress: bool = True,
    encode_names: NameEncoding | None = None,
) -> ConceptIndex:
    """Encode every name of ``concepts`` and write an index directory at ``out_dir``.

    Parameters
    ----------
    spec
        FAISS factory string: ``Flat`` (exact), ``HNSW32``, ``IVF4096,SQ8``..., or ``"auto"``:
        chosen from the number of names and ``memory_budget`` by
        :func:`~entitylink.index.vectors.choose_spec`, with its search parameters.
    search_params
        ``efSearch``, ``nprobe``...; default:
        :func:`~entitylink.index.vectors.default_search_params` (with ``"auto"``: those
        :func:`~entitylink.index.vectors.choose_spec` gives).
    memory_budget
        Bytes the vector index may take in memory; only used with ``spec="auto"``.
    overwrite
        Replace an existing directory (only once the new one is complete).
    vocabulary
        Description recorded in the manifest (paths, format); the sha256 is added.
    encode_names
        Fills the vectors instead of ``encoder`` in this process (which then only gives the
        manifest its config and dimension), e.g. :func:`entitylink.tables.ray.ray_encode_names`.
    """
    out = Path(out_dir)
    auto = spec == AUTO
    # a named spec is checked before any work; auto needs the number of names first
    chosen = None if auto else _resolve(spec, 0, encoder.dim, memory_budget, search_params)
    started = time.perf_counter()
    with _building(out, overwrite) as tmp:
        store = ConceptStore.create(tmp / CONCEPTS)
        counts = write_concepts(concepts, store, progress)
        sha256 = counts.pop("sha256")
        n = counts["names"]
        spec, params, index = chosen or _resolve(spec, n, encoder.dim, memory_budget, search_params)
        vectors = _encode_names(
            store, encoder, tmp / "vectors.npy", n, batch_size, progress, encode_names
        )
        _fill(index, vectors, tmp / VECTORS, progress)
        del vectors
        (tmp / "vectors.npy").unlink()
        IndexManifest(
            encoder=encoder.config(),
            index=_describe(spec, params, auto, memory_budget),
            counts=counts,
            vocabulary={**(vocabulary or {}), "sha256": sha256},
            files=_sizes(tmp),
            build_seconds=round(time.perf_counter() - started, 2),
        ).write(tmp)
    logger.info("wrote %s: %d concepts, %d names", out, counts["concepts"], counts["names"])
    return ConceptIndex.load(out)


def reindex(
    source: str | Path,
    out_dir: str | Path,
    *,
    spec: str = AUTO,
    search_params: Mapping[str, int] | None = None,
    memory_budget: int | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> ConceptIndex:
    """Copy an index directory with its vectors in another FAISS spec, without encoding again.

    ``source`` must be ``Flat`` (the only spec that keeps the vectors exactly); its concept
    table is copied as it is. ``spec``, ``search_params`` and ``memory_budget`` are as in
    :func:`build_index`; the manifest records the source.
    """
    src = ConceptIndex.load(source, mmap=True)
    _require_flat(src)
    out, auto = Path(out_dir), spec == AUTO
    spec, params, index = _resolve(
        spec, len(src.vectors), src.vectors.dim, memory_budget, search_params
    )
    started = time.perf_counter()
    with _building(out, overwrite) as tmp:
        shutil.copyfile(src.path / CONCEPTS, tmp / CONCEPTS)
        vectors = flat_vectors(src, tmp / "vectors.npy")
        _fill(index, vectors, tmp / VECTORS, progress)
        del vectors
        (tmp / "vectors.npy").unlink()
        replace(
            src.manifest,
            index={**_describe(spec, params, auto, memory_budget), "reindexed_from": str(src.path)},
            files=_sizes(tmp),
            build_seconds=round(time.perf_counter() - started, 2),
            versions=library_versions(),
            created_at=now_utc(),
        ).write(tmp)
    logger.info("wrote %s: %s from %s", out, spec, src.path)
    return ConceptIndex.load(out)


def flat_vectors(index: ConceptIndex, path: Path) -> np.memmap[Any, Any]:
    """The vectors of a ``Flat`` index directory, exactly, in a float32 ``.npy`` at ``path``."""
    _require_flat(index)
    n, dim = len(index.vectors), index.vectors.dim
    vectors = np.lib.format.open_memmap(path, "w+", np.float32, (n, dim))
    for start in range(0, n, ENCODE_CHUNK):
        count = min(ENCODE_CHUNK, n - start)
        vectors[start : start + count] = index.vectors.index.reconstruct_n(start, count)
    vectors.flush()
    return vectors


def _require_flat(index: ConceptIndex) -> None:
    if index.manifest.index["spec"] != "Flat":
        raise IndexFormatError(
            f"{index.path}: a {index.manifest.index['spec']} index keeps approximate vectors; "
            "reindex from a Flat index, or rebuild from the vocabulary with build-index"
        )


def _fill(index: VectorIndex, vectors: np.memmap[Any, Any], path: Path, progress: bool) -> None:
    """Train and fill ``index`` from ``vectors`` (with a progress bar), and save it at ``path``."""
    with tqdm(
        total=len(vectors), desc="indexing vectors", unit=" vectors", disable=not progress
    ) as bar:
        index.fill(vectors, on_added=bar.update)
    index.save(path)


def _resolve(
    spec: str,
    names: int,
    dim: int,
    memory_budget: int | None,
    search_params: Mapping[str, int] | None,
) -> tuple[str, dict[str, int], VectorIndex]:
    """The spec (``auto``: chosen for ``names`` and ``memory_budget``), its search parameters
    (given, or the spec's defaults) and an empty index; raises ``ValueError`` on a bad spec."""
    auto = spec == AUTO
    if auto:
        spec, defaults = choose_spec(names, dim, memory_budget)
    else:
        defaults = default_search_params(spec)
    params = dict(search_params if search_params is not None else defaults)
    if auto:
        logger.info("spec auto: %s %s for %d names", spec, params, names)
    return spec, params, VectorIndex(VectorIndex.create(spec, dim).index, params)


def _describe(
    spec: str, params: dict[str, int], auto: bool, memory_budget: int | None
) -> dict[str, Any]:
    """The manifest's ``index`` entry."""
    chosen = {"chosen_by": AUTO, "memory_budget": memory_budget} if auto else {}
    return {"spec": spec, "metric": "inner_product", "search_params": params, **chosen}


def _sizes(directory: Path) -> dict[str, int]:
    return {name: (directory / name).stat().st_size for name in (VECTORS, CONCEPTS)}


@contextlib.contextmanager
def _building(out: Path, overwrite: bool) -> Iterator[Path]:
    """A hidden directory beside ``out`` to build in; it replaces ``out`` only when complete."""
    if out.exists() and not overwrite:
        raise IndexExistsError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the index is an ordinary directory
    try:
        yield tmp
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(new: Path, out: Path) -> None:
    """Move the finished build into place, replacing ``out`` only now."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        new.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(out)


@dataclass(frozen=True)
class ConceptIndex:
    """A loaded index directory: manifest, vector index and concept store, checked together."""

    path: Path
    manifest: IndexManifest
    vectors: VectorIndex
    store: ConceptStore

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        mmap: bool = False,
        search_params: Mapping[str, int] | None = None,
    ) -> ConceptIndex:
        """Open an index directory, refusing one whose parts disagree with its manifest."""
        path = Path(path)
        manifest = IndexManifest.read(path)
        params = {**manifest.index.get("search_params", {}), **(search_params or {})}
        try:
            vectors = VectorIndex.load(path / VECTORS, mmap=mmap, search_params=params)
            store = ConceptStore(path / CONCEPTS)
            concepts, names = store.counts()
        except (RuntimeError, sa.exc.DatabaseError) as exc:
            raise IndexFormatError(f"{path}: unreadable index files: {exc}") from exc
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
        return cls(path, manifest, vectors, store)
