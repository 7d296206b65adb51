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

import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from packaging.version import Version
from tqdm.auto import tqdm

from ._version import __version__
from .encoders import Encoder
from .errors import IndexExistsError, IndexFormatError, VocabularyError
from .records import Concept
from .store import ConceptStore
from .vectors import AUTO, VectorIndex, choose_spec, default_search_params

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST, VECTORS, CONCEPTS = "manifest.json", "vectors.faiss", "concepts.sqlite"
CONCEPT_BATCH = 20_000
ENCODE_CHUNK = 16_384


def library_versions() -> dict[str, str]:
    """Versions of entitylink and the libraries that shape an index."""
    names = ("torch", "transformers", "faiss-cpu", "numpy", "sqlalchemy")
    found = {"entitylink": __version__, "python": platform.python_version()}
    for name in names:
        try:
            found[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing distribution is simply not recorded
            continue
    return found


@dataclass(frozen=True)
class IndexManifest:
    """What ``manifest.json`` holds."""

    encoder: dict[str, Any]
    index: dict[str, Any]
    counts: dict[str, int]
    vocabulary: dict[str, Any]
    files: dict[str, int]
    build_seconds: float
    versions: dict[str, str] = field(default_factory=library_versions)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format_version: int = FORMAT_VERSION

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, directory: Path) -> IndexManifest:
        """Read and check ``manifest.json``: format version, files present with their sizes."""
        path = directory / MANIFEST
        if not path.is_file():
            raise IndexFormatError(f"{directory}: not an index directory (no {MANIFEST})")
        try:
            data = json.loads(path.read_text())
            manifest = cls(**data)
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
            raise IndexFormatError(f"{path}: unreadable manifest: {exc}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexFormatError(
                f"{directory}: index format {manifest.format_version}, this entitylink reads "
                f"format {FORMAT_VERSION}; rebuild the index with this version"
            )
        built_by = manifest.versions.get("entitylink", "0")
        if Version(built_by) > Version(__version__):
            logger.warning(
                "%s was built by entitylink %s, newer than %s",
                directory,
                built_by,
                __version__,
            )
        for name, size in manifest.files.items():
            actual = (directory / name).stat().st_size if (directory / name).exists() else None
            if actual != size:
                raise IndexFormatError(
                    f"{directory / name}: {'missing' if actual is None else f'{actual} bytes'}, "
                    f"the manifest says {size} bytes: the index is truncated or altered; rebuild it"
                )
        return manifest


def _hash_concept(hasher: Any, concept: Concept) -> None:
    hasher.update(json.dumps(asdict(concept), ensure_ascii=False).encode() + b"\n")


def _duplicate_error(store: ConceptStore, batch: list[Concept]) -> VocabularyError:
    """Name the concept ID that made a batch insert fail (within the batch, or stored before)."""
    counts = Counter(c.concept_id for c in batch)
    repeated = [i for i, n in counts.items() if n > 1] or [i for i in counts if store.get(i)]
    return VocabularyError(f"concept ID {min(repeated)!r} occurs more than once")


def _write_concepts(
    concepts: Iterable[Concept], store: ConceptStore, progress: bool
) -> dict[str, Any]:
    """Store all concepts in batches; returns counts and the sha256 of the concepts as read."""
    hasher, rows, count = hashlib.sha256(), 0, 0
    stream = iter(concepts)
    with tqdm(desc="reading vocabulary", unit=" concepts", disable=not progress) as bar:
        while batch := list(islice(stream, CONCEPT_BATCH)):
            for concept in batch:
                _hash_concept(hasher, concept)
            try:
                rows = store.add(batch, rows)
            except sa.exc.IntegrityError:
                raise _duplicate_error(store, batch) from None
            count += len(batch)
            bar.update(len(batch))
    if not count:
        raise VocabularyError("the vocabulary holds no concepts (check the file and its filters)")
    store.finish()
    return {"concepts": count, "names": rows, "sha256": hasher.hexdigest()}


NameEncoding = Callable[[ConceptStore, "np.memmap[Any, Any]"], None]
"""Fills ``vectors[i]`` with the vector of the store's name ``i``, for every row (the hook
:func:`build_index` takes as ``encode_names``; :mod:`entitylink.distributed` gives one on Ray)."""


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
        :func:`~entitylink.vectors.choose_spec`, with its search parameters.
    search_params
        ``efSearch``, ``nprobe``...; default: :func:`~entitylink.vectors.default_search_params`
        (with ``"auto"``: those :func:`~entitylink.vectors.choose_spec` gives).
    memory_budget
        Bytes the vector index may take in memory; only used with ``spec="auto"``.
    overwrite
        Replace an existing directory (only once the new one is complete).
    vocabulary
        Description recorded in the manifest (paths, format); the sha256 is added.
    encode_names
        Fills the vectors instead of ``encoder`` in this process (which then only gives the
        manifest its config and dimension), e.g. :func:`entitylink.distributed.ray_encode_names`.
    """
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise IndexExistsError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    auto = spec == AUTO
    if not auto:
        params = dict(search_params if search_params is not None else default_search_params(spec))
        index = VectorIndex(VectorIndex.create(spec, encoder.dim).index, params)  # fail early
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the index is an ordinary directory
    started = time.perf_counter()
    try:
        store = ConceptStore.create(tmp / CONCEPTS)
        counts = _write_concepts(concepts, store, progress)
        sha256 = counts.pop("sha256")
        if auto:
            spec, chosen = choose_spec(counts["names"], encoder.dim, memory_budget)
            params = dict(search_params if search_params is not None else chosen)
            index = VectorIndex(VectorIndex.create(spec, encoder.dim).index, params)
            logger.info("spec auto: %s %s for %d names", spec, params, counts["names"])
        vectors = _encode_names(
            store,
            encoder,
            tmp / "vectors.npy",
            counts["names"],
            batch_size,
            progress,
            encode_names,
        )
        index.fill(vectors)
        index.save(tmp / VECTORS)
        del vectors
        (tmp / "vectors.npy").unlink()
        IndexManifest(
            encoder=encoder.config(),
            index={
                "spec": spec,
                "metric": "inner_product",
                "search_params": params,
                **({"chosen_by": AUTO, "memory_budget": memory_budget} if auto else {}),
            },
            counts=counts,
            vocabulary={**(vocabulary or {}), "sha256": sha256},
            files={name: (tmp / name).stat().st_size for name in (VECTORS, CONCEPTS)},
            build_seconds=round(time.perf_counter() - started, 2),
        ).write(tmp)
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("wrote %s: %d concepts, %d names", out, counts["concepts"], counts["names"])
    return ConceptIndex.load(out)


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
