"""Generations of an index directory: what ``update`` and ``compact`` share.

A new generation is written like a build (:func:`~.swap.building`: a hidden directory beside
the index, exchanged with it in one step once whole), so a crash at any point leaves the
previous generation in place and loadable. Files that a generation does not change are copied
with ``copy_file_range`` (a reflink where the file system has them) and keep their recorded
checksum; the manifest records ``generation``, ``parent`` (the previous manifest's checksum)
and ``changes``.

>>> with new_generation(index) as (tmp, started):                  # doctest: +SKIP
...     write_the_changed_files_into(tmp)
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import IndexExistsError, IndexFormatError
from .directory import ConceptIndex
from .layout import CONCEPTS, RETIRED, SPARSE_FILES, VECTORS
from .manifest import IndexManifest, library_versions, now_utc
from .swap import building

logger = logging.getLogger(__name__)

COPY_CHUNK = 1 << 30


def fast_copy(source: Path, target: Path) -> None:
    """Copy a file in the kernel (``copy_file_range``: shares the blocks on btrfs and XFS),
    falling back to an ordinary copy."""
    try:
        with source.open("rb") as src, target.open("wb") as dst:
            size, done = os.fstat(src.fileno()).st_size, 0
            while done < size:
                copied = os.copy_file_range(src.fileno(), dst.fileno(), COPY_CHUNK)
                if copied == 0:
                    raise OSError("copy_file_range copied nothing")
                done += copied
    except (OSError, AttributeError):
        shutil.copyfile(source, target)
    shutil.copymode(source, target)


def require_updatable(index: ConceptIndex) -> None:
    """Refuse what generations cannot carry yet: the TF-IDF part (its matrix is not updated)."""
    if index.sparse is not None:
        raise IndexFormatError(
            f"{index.path}: an index with a sparse (TF-IDF) part cannot be updated yet; "
            "rebuild it, or reindex it --no-sparse first"
        )


@contextlib.contextmanager
def new_generation(index: ConceptIndex) -> Iterator[Path]:
    """A hidden directory to write the next generation of ``index`` in; it replaces the index
    directory when the block ends (unless another update replaced it meanwhile: then this one
    is discarded with :class:`~entitylink.errors.IndexExistsError`)."""
    parent = index.manifest.manifest_checksum
    with building(index.path, overwrite=True) as tmp:
        yield tmp
        current = IndexManifest.read(index.path).manifest_checksum
        if current != parent:
            raise IndexExistsError(
                f"{index.path} changed while this update ran (another update or build); "
                "this one was discarded: run it again on the new generation"
            )


def write_manifest(
    index: ConceptIndex,
    tmp: Path,
    *,
    counts: dict[str, int],
    checksums: dict[str, str],
    changes: dict[str, Any],
    started: float,
    described: dict[str, Any] | None = None,
) -> IndexManifest:
    """Write the next generation's manifest into ``tmp`` (files and sizes as found there)."""
    names = [VECTORS, CONCEPTS, RETIRED, *SPARSE_FILES]
    files = {name: (tmp / name).stat().st_size for name in names if (tmp / name).exists()}
    manifest = replace(
        index.manifest,
        index=described if described is not None else dict(index.manifest.index),
        counts=counts,
        files=files,
        checksums={name: checksums[name] for name in files},
        versions=library_versions(),
        created_at=now_utc(),
        generation=index.manifest.generation + 1,
        parent=index.manifest.manifest_checksum,
        changes={**changes, "seconds": round(time.perf_counter() - started, 2)},
    )
    manifest.write(tmp)
    logger.info(
        "generation %d of %s: %s", manifest.generation, index.path, _summary(manifest.changes)
    )
    return manifest


def _summary(changes: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in changes.items() if key != "seconds")
