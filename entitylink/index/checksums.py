"""Checksums of the files of an index directory, recorded in its manifest and verified on demand.

BLAKE2b (``hashlib.blake2b``, 256-bit digests, ~1 GB/s on one core) as ``"blake2b:HEX"``.
``vectors.faiss`` is hashed while FAISS writes it, through :class:`HashingFile`;
``concepts.sqlite`` after SQLite closes it (SQLite writes pages in place, so a second pass is
unavoidable), and while it is copied by ``reindex``.

>>> digest(b"abc")[:20]
'blake2b:bddd813c6342'
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from ..errors import IndexFormatError

ALGORITHM = "blake2b"
READ_CHUNK = 1 << 20


def _hasher() -> Any:
    return hashlib.blake2b(digest_size=32)


def digest(data: bytes) -> str:
    hasher = _hasher()
    hasher.update(data)
    return f"{ALGORITHM}:{hasher.hexdigest()}"


def file_checksum(path: Path) -> str:
    """``"blake2b:HEX"`` of a file, read in 1 MiB chunks."""
    hasher = _hasher()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            hasher.update(chunk)
    return f"{ALGORITHM}:{hasher.hexdigest()}"


class HashingFile:
    """A binary file being written, hashed as it goes: ``write(bytes) -> int``.

    Its :meth:`write` is the callback of ``faiss.PyCallbackIOWriter``; an exception there (a full
    disk) is kept in :attr:`error`, since FAISS turns it into a plain ``RuntimeError``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] = path.open("wb")
        self._hasher = _hasher()
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            self._handle.write(data)
        except OSError as exc:
            self.error = exc
            raise
        self._hasher.update(data)
        return len(data)

    def close(self) -> str:
        """Flush and close the file; returns its checksum."""
        self._handle.close()
        return f"{ALGORITHM}:{self._hasher.hexdigest()}"

    def abort(self) -> None:
        self._handle.close()


def copy_hashed(source: Path, target: Path) -> str:
    """Copy a file, hashing it as it is written; returns the checksum of the copy."""
    out = HashingFile(target)
    try:
        with source.open("rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                out.write(chunk)
    except BaseException:
        out.abort()
        raise
    checksum = out.close()
    shutil.copymode(source, target)
    return checksum


def verify_checksums(directory: Path, checksums: Mapping[str, str]) -> None:
    """Raise ``IndexFormatError`` naming the first file whose content differs from the manifest.

    An index built before checksums were recorded has none: that is an error too, since
    nothing can be verified.
    """
    if not checksums:
        raise IndexFormatError(
            f"{directory}: no checksums recorded (built by an older entitylink), so its content "
            "cannot be verified; rebuild the index to get them"
        )
    for name, expected in sorted(checksums.items()):
        algorithm = expected.partition(":")[0]
        if algorithm != ALGORITHM:
            raise IndexFormatError(
                f"{directory}: checksum of {name} is {algorithm!r}, this entitylink knows "
                f"{ALGORITHM!r}; rebuild the index"
            )
        try:
            actual = file_checksum(directory / name)
        except OSError as exc:
            raise IndexFormatError(f"{directory / name}: cannot read it: {exc}") from exc
        if actual != expected:
            raise IndexFormatError(
                f"{directory / name}: content differs from the manifest's checksum (corrupt or "
                "altered since the build; sizes match): rebuild the index"
            )
