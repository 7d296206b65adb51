"""Writing an index directory: vectors, concept table and a manifest that is checked on load.

::

    indexes/medic/
      manifest.json     written last: format version, versions, encoder, FAISS spec, counts, sizes
      vectors.faiss     FAISS index; row i is names.row i
      concepts.sqlite   concepts and names tables

(the file names: :mod:`.layout`).

>>> from entitylink import Encoder, read_vocabulary
>>> concepts = read_vocabulary("data_samples/MRCONSO.RRF")
>>> index = build_index(concepts, Encoder(), "indexes/sample")  # doctest: +SKIP
>>> index = ConceptIndex.load("indexes/sample")  # doctest: +SKIP

A build writes into a hidden temporary directory beside the target and renames it at the end
(:mod:`.swap`), so an interrupted build never leaves a directory that loads, and a failed one
(a full disk) leaves the previous index as it was. It checks the free space for the vectors
before encoding, reserves their file's blocks (a full disk is then an error, not a SIGBUS in the
memory map), and records each file's checksum (:mod:`.checksums`) in the manifest.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..encoding.encoder import Encoder
from ..encoding.onnx_cache import weights_identity
from ..errors import IndexFormatError
from ..files import writing
from ..records import Concept
from .checksums import copy_hashed, file_checksum
from .directory import ConceptIndex, verify_index
from .layout import CONCEPTS, ENCODED, MANIFEST, SPARSE_FILES, SPARSE_MATRIX, VECTORS
from .manifest import IndexManifest, library_versions, now_utc
from .sparse_writer import write_sparse
from .specs import AUTO, choose_spec, default_search_params
from .store import ConceptStore
from .store_writer import write_concepts
from .swap import building
from .tuning import record_search_tuning, search_parameter, tune_search
from .vector_file import allocate, check_space, release_rows
from .vectors import VectorIndex

__all__ = [
    "ConceptIndex",
    "IndexManifest",
    "build_index",
    "flat_vectors",
    "library_versions",
    "reindex",
    "verify_index",
]

logger = logging.getLogger(__name__)

ENCODE_CHUNK = 16_384


NameEncoding = Callable[[ConceptStore, "np.memmap[Any, Any]"], None]
"""Fills ``vectors[i]`` with the vector of the store's name ``i``, for every row (the hook
:func:`build_index` takes as ``encode_names``; :mod:`entitylink.tables.ray` gives one on Ray).
``vectors`` is a memory map of the whole vector file: call
:func:`~entitylink.index.vector_file.release_rows` on each chunk once written, or the process's RSS
grows with the number of names."""


def encode_store(
    store: ConceptStore,
    encoder: Encoder,
    path: Path,
    n: int,
    batch_size: int,
    progress: bool,
    encode_names: NameEncoding | None,
) -> np.memmap[Any, Any]:
    """Encode every name of ``store`` (rows 0 to n - 1), chunk by chunk, into a float32 ``.npy``
    memory map at ``path`` (``encode_names``: that hook instead of ``encoder``)."""
    vectors = allocate(path, n, encoder.dim)
    if encode_names is not None:
        encode_names(store, vectors)
        vectors.flush()
        return vectors
    with tqdm(total=n, desc="encoding names", unit=" names", disable=not progress) as bar:
        for start in range(0, n, ENCODE_CHUNK):
            names = store.names(start, min(n, start + ENCODE_CHUNK))
            vectors[start : start + len(names)] = encoder.encode(names, batch_size=batch_size)
            release_rows(vectors, start, start + len(names))  # RSS stays one chunk
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
    sparse: bool = False,
    target_recall: float | None = None,
) -> ConceptIndex:
    """Encode every name of ``concepts`` and write an index directory at ``out_dir``.

    Parameters
    ----------
    spec
        FAISS factory string: ``Flat`` (exact), ``HNSW32``, ``IVF4096,SQ8``..., or ``"auto"``:
        chosen from the number of names and ``memory_budget`` by
        :func:`~entitylink.index.specs.choose_spec`, with its search parameters.
    search_params
        ``efSearch``, ``nprobe``...; default:
        :func:`~entitylink.index.vectors.default_search_params` (with ``"auto"``: those
        :func:`~entitylink.index.specs.choose_spec` gives).
    memory_budget
        Bytes the vector index may take in memory; only used with ``spec="auto"``.
    overwrite
        Replace an existing directory (only once the new one is complete).
    vocabulary
        Description recorded in the manifest (paths, format); the sha256 is added.
    encode_names
        Fills the vectors instead of ``encoder`` in this process (which then only gives the
        manifest its config and dimension), e.g. :func:`entitylink.tables.ray.ray_encode_names`.
    sparse
        Also store the names' character n-gram TF-IDF vectors (:mod:`.sparse`), for the
        linker's ``sparse`` and ``hybrid`` modes.
    target_recall
        For a spec with a search parameter (IVF*, HNSW*) and no ``search_params`` given: choose
        it by measurement (:func:`~entitylink.index.tuning.tune_search`, a few seconds on small
        indexes) as the smallest reaching this recall@10 against exact search.
    """
    out = Path(out_dir)
    auto = spec == AUTO
    # a named spec is checked before any work; auto needs the number of names first
    chosen = None if auto else _resolve(spec, 0, encoder.dim, memory_budget, search_params)
    started = time.perf_counter()
    with building(out, overwrite) as tmp, contextlib.ExitStack() as stack:
        with writing(out / CONCEPTS, inside=tmp):
            store = stack.enter_context(_closing(ConceptStore.create(tmp / CONCEPTS)))
            counts = write_concepts(concepts, store, progress, _name_key(encoder))
        sha256 = counts.pop("sha256")
        n = counts["names"]
        spec, params, index = chosen or _resolve(spec, n, encoder.dim, memory_budget, search_params)
        check_space(tmp, out, n, encoder.dim, spec)
        with writing(out / VECTORS, inside=tmp):
            vectors = encode_store(
                store, encoder, tmp / ENCODED, n, batch_size, progress, encode_names
            )
            checksums = {VECTORS: _fill(index, vectors, tmp / VECTORS, progress)}
            # free the built index before the returned one is read back: two copies of a 12M
            # name IVF16384,SQ8 index are 9.4 GB
            del vectors, index, chosen
            (tmp / ENCODED).unlink()
        checksums[CONCEPTS] = file_checksum(tmp / CONCEPTS)
        described = _describe(spec, params, auto, memory_budget)
        if "IVF" in spec:  # the vectors its lists were trained with (update_index warns)
            described["trained_rows"] = n
        if sparse:
            with writing(out / SPARSE_MATRIX, inside=tmp):
                described["sparse"], more = write_sparse(store, tmp, n)
                checksums.update(more)
        with writing(out / MANIFEST, inside=tmp):
            IndexManifest(
                encoder=encoder.config(),
                index=described,
                counts=counts,
                vocabulary={**(vocabulary or {}), "sha256": sha256},
                files=_sizes(tmp),
                build_seconds=round(time.perf_counter() - started, 2),
                checksums=checksums,
                encoder_identity=encoder_identity(encoder),
            ).write(tmp)
        if target_recall is not None and search_params is None and search_parameter(spec):
            with writing(out / MANIFEST, inside=tmp):
                tuned = tune_search(ConceptIndex.load(tmp), encoder, target_recall=target_recall)
                record_search_tuning(tmp, tuned)
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
    sparse: bool | None = None,
) -> ConceptIndex:
    """Copy an index directory with its vectors in another FAISS spec, without encoding again.

    ``source`` must be ``Flat`` (the only spec that keeps the vectors exactly); its concept
    table is copied as it is. ``spec``, ``search_params`` and ``memory_budget`` are as in
    :func:`build_index`; the manifest records the source. ``sparse``: keep the source's TF-IDF
    part if it has one (None), add it (True, computed from the names) or leave it out (False).
    """
    src = ConceptIndex.load(source, mmap=True)
    _require_flat(src)
    out, auto = Path(out_dir), spec == AUTO
    spec, params, index = _resolve(
        spec, len(src.vectors), src.vectors.dim, memory_budget, search_params
    )
    started = time.perf_counter()
    with building(out, overwrite) as tmp:
        with writing(out / CONCEPTS, inside=tmp):
            checksums = {CONCEPTS: copy_hashed(src.path / CONCEPTS, tmp / CONCEPTS)}
        check_space(tmp, out, len(src.vectors), src.vectors.dim, spec)
        with writing(out / VECTORS, inside=tmp):
            vectors = flat_vectors(src, tmp / ENCODED)
            checksums[VECTORS] = _fill(index, vectors, tmp / VECTORS, progress)
            del vectors, index  # freed before the returned index is read back
            (tmp / ENCODED).unlink()
        described = {
            **_describe(spec, params, auto, memory_budget),
            "reindexed_from": str(src.path),
            **({"trained_rows": len(src.vectors)} if "IVF" in spec else {}),
        }
        had = src.manifest.index.get("sparse")
        if (sparse is None and had) or (sparse and had):
            described["sparse"] = had
            for name in SPARSE_FILES:
                checksums[name] = copy_hashed(src.path / name, tmp / name)
        elif sparse:
            with writing(out / SPARSE_MATRIX, inside=tmp):
                described["sparse"], more = write_sparse(src.store, tmp, len(src.vectors))
                checksums.update(more)
        with writing(out / MANIFEST, inside=tmp):
            replace(
                src.manifest,
                index=described,
                files=_sizes(tmp),
                build_seconds=round(time.perf_counter() - started, 2),
                versions=library_versions(),
                created_at=now_utc(),
                checksums=checksums,
            ).write(tmp)
    logger.info("wrote %s: %s from %s", out, spec, src.path)
    return ConceptIndex.load(out)


def _name_key(encoder: Encoder) -> Callable[[str], str] | None:
    """The key of the store's name keys: the encoder's, when equal keys mean equal vectors (a
    stand-in encoder of a test or a scale run, without ``key``, gets none)."""
    if not callable(getattr(encoder, "key", None)) or not encoder.keys_are_exact():
        logger.info("no name keys: mentions equal to a name will be encoded, not looked up")
        return None
    return encoder.key


def encoder_identity(encoder: Encoder) -> dict[str, str]:
    """The manifest's ``encoder_identity``: a hash of the weights and tokenizer files of a local
    model directory (:func:`~entitylink.encoding.onnx_cache.weights_identity`); empty for a hub
    name."""
    location = getattr(encoder, "location", None)  # encoders of tests may have none
    identity = weights_identity(location) if isinstance(location, str) else None
    return {"weights": identity} if identity is not None else {}


def flat_vectors(index: ConceptIndex, path: Path) -> np.memmap[Any, Any]:
    """The vectors of a ``Flat`` index directory, exactly, in a float32 ``.npy`` at ``path``."""
    _require_flat(index)
    n, dim = len(index.vectors), index.vectors.dim
    vectors = allocate(path, n, dim)
    for start in range(0, n, ENCODE_CHUNK):
        count = min(ENCODE_CHUNK, n - start)
        vectors[start : start + count] = index.vectors.index.reconstruct_n(start, count)
    vectors.flush()
    return vectors


@contextlib.contextmanager
def _closing(store: ConceptStore) -> Iterator[ConceptStore]:
    """Close the store's connections at the end, so that a failed build's files are freed."""
    try:
        yield store
    finally:
        store.close()


def _require_flat(index: ConceptIndex) -> None:
    if index.manifest.index["spec"] != "Flat":
        raise IndexFormatError(
            f"{index.path}: a {index.manifest.index['spec']} index keeps approximate vectors; "
            "reindex from a Flat index, or rebuild from the vocabulary with build-index"
        )


def _fill(index: VectorIndex, vectors: np.memmap[Any, Any], path: Path, progress: bool) -> str:
    """Train and fill ``index`` from ``vectors`` (with a progress bar), and save it at ``path``;
    returns the file's checksum."""
    with tqdm(
        total=len(vectors), desc="indexing vectors", unit=" vectors", disable=not progress
    ) as bar:
        index.fill(vectors, on_added=bar.update)
    logger.debug("writing %s", path)
    return index.save(path)


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
    names = [VECTORS, CONCEPTS, *(n for n in SPARSE_FILES if (directory / n).exists())]
    return {name: (directory / name).stat().st_size for name in names}
