"""The retired rows of an index directory (``retired.npy``): vector rows of concepts that
``entitylink update --remove`` (or ``--replace``) retired, skipped by every search until
``entitylink compact`` drops them.

A sorted int64 ``.npy``, checksummed like the other files. Rows of retired names are gone from
the concept table too, so a retired concept is neither returned nor looked up.

>>> rows = read_retired(Path("indexes/sample"))     # doctest: +SKIP
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import IndexFormatError
from .checksums import HashingFile
from .layout import RETIRED


def read_retired(directory: Path, rows: int) -> NDArray[np.int64]:
    """The retired rows of ``directory`` (none when it has no ``retired.npy``), each checked
    to be a row of the ``rows`` vectors."""
    path = directory / RETIRED
    if not path.exists():
        return np.zeros(0, dtype=np.int64)
    try:
        retired = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{path}: unreadable ({exc}); rebuild or compact the index") from exc
    if retired.dtype != np.int64 or retired.ndim != 1:
        raise IndexFormatError(f"{path}: not a list of int64 rows; rebuild the index")
    if len(retired) and (retired[0] < 0 or retired[-1] >= rows or (np.diff(retired) <= 0).any()):
        raise IndexFormatError(
            f"{path}: rows not sorted, repeated or outside the {rows} vectors; rebuild the index"
        )
    return np.asarray(retired, dtype=np.int64)


def write_retired(directory: Path, retired: NDArray[np.int64]) -> str:
    """Write ``retired`` (sorted, distinct) as ``directory/retired.npy``; returns its checksum."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(retired, dtype=np.int64), allow_pickle=False)
    out = HashingFile(directory / RETIRED)
    try:
        out.write(buffer.getvalue())
    except BaseException:
        out.abort()
        raise
    return out.close()
