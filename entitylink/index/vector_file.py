"""The float32 vector file a build encodes into and FAISS reads from: reserved on disk before the
first vector is written, and streamed through so that the process holds one chunk of it.

At 12M names x 384 dimensions the file is 18.4 GB: a build must neither find the disk full
half-way (:func:`check_space`, :func:`allocate`) nor keep every page it touched resident
(:func:`release_rows`, :func:`gather_rows`, :func:`training_rows`).
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import OutputError
from .specs import estimated_bytes

_MADV_DONTNEED = 4
_PAGE = mmap.PAGESIZE


def release_rows(array: NDArray[Any], start: int, stop: int) -> None:
    """Drop rows ``start:stop`` of a shared memory-mapped array from this process's memory.

    The pages stay in the page cache (written back when dirty) and are read again if touched,
    but no longer count in the process's RSS: a build that streams through a vector file of
    12M names (18 GB at 384-d) keeps one chunk resident, not the whole file. Arrays that are
    not shared memory maps (in memory, or copy-on-write) are left alone.
    """
    if not isinstance(array, np.memmap) or array.mode not in ("r", "r+", "w+") or stop <= start:
        return
    row = array.strides[0] if array.ndim else array.itemsize
    first = array.ctypes.data + start * row
    begin = -(-first // _PAGE) * _PAGE  # only whole pages inside the rows
    end = (array.ctypes.data + stop * row) // _PAGE * _PAGE
    if end > begin:
        _libc().madvise(ctypes.c_void_p(begin), ctypes.c_size_t(end - begin), _MADV_DONTNEED)


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return libc


def training_rows(n: int, size: int, seed: int = 0) -> NDArray[np.int64]:
    """``min(n, size)`` distinct rows of ``range(n)``, sorted, drawn with ``seed``.

    Memory is that of the sample, not of ``n`` (a permutation of 12M rows is 96 MB).
    """
    if n <= size:
        return np.arange(n, dtype=np.int64)
    rows = np.random.default_rng(seed).choice(n, size=size, replace=False)
    return np.sort(rows).astype(np.int64)


def gather_rows(
    vectors: NDArray[np.float32], rows: NDArray[np.int64], chunk: int = 1024
) -> NDArray[np.float32]:
    """``vectors[rows]`` (``rows`` sorted) as a new array, ``chunk`` rows at a time, each
    span released once copied (:func:`release_rows`).

    Reading scattered rows of a memory map faults in whole runs of pages around each (the
    kernel's fault-around), so a 200,000-row sample of a 12M-row file would map most of it.
    """
    out = np.empty((len(rows), vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        out[start : start + len(part)] = vectors[part]
        release_rows(vectors, int(part[0]), int(part[-1]) + 1)
    release_rows(vectors, 0, len(vectors))  # the pages faulted in around the chunks' edges
    return out


def allocate(path: Path, n: int, dim: int) -> np.memmap[Any, Any]:
    """A float32 ``.npy`` memory map of ``n`` rows whose blocks are reserved on disk now.

    Without the reservation the file is sparse, and a disk that fills while the vectors are
    written kills the process with SIGBUS; with it, a full disk is an ``OSError`` here.
    """
    vectors = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    with path.open("r+b") as handle:
        try:
            os.posix_fallocate(handle.fileno(), 0, path.stat().st_size)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                del vectors
                raise
    return vectors


def check_space(tmp: Path, out: Path, names: int, dim: int, spec: str) -> None:
    """Refuse to start encoding when the disk cannot hold the vectors and the FAISS file."""
    try:
        faiss_bytes = estimated_bytes(spec, names, dim)
    except ValueError:  # HNSW, IVF with other codes: at least the flat size is a fair floor
        faiss_bytes = names * dim * 4
    needed = names * dim * 4 + faiss_bytes
    free = shutil.disk_usage(tmp).free
    if needed > free:
        raise OutputError(
            f"no space left on device while writing {out}: {names} names of dimension {dim} "
            f"need about {needed / 1e6:.1f} MB, {free / 1e6:.1f} MB free"
        )
