"""Writing output files so that nothing is lost and nothing half-written is left behind.

Every stage writes through this module (tables, reports, models, index files):

- :func:`atomic_file` gives a temporary path beside the target, renamed onto it when the block
  ends without error and removed otherwise (:func:`temporary_file` and :func:`commit_file` are
  its two halves, for writers that open and close the file themselves);
- :func:`check_output_file` is the overwrite rule for one file: never a directory, a file only
  with ``overwrite``;
- :func:`rename_noreplace` renames without replacing, checked by the kernel at the rename;
- :func:`writing` turns a failed write (disk full, no permission, SQLite's "database or disk is
  full") into one :class:`~entitylink.errors.OutputError` line that names the target.

The index directory's own rules (build in a hidden directory, swap it into place) are
:mod:`entitylink.index.swap`.

>>> with atomic_file(Path("links.jsonl"), overwrite=True) as tmp:   # doctest: +SKIP
...     tmp.write_text("...")
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .errors import IndexExistsError, OutputError

PARTIAL_REMOVED = "; removed the partial file"  # the note of a failed atomic_file write
_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "input/output error",
}
_SQLITE_REASONS = (
    ("full", "no space left on device"),
    ("readonly", "read-only database"),
    ("unable to open", "cannot create the file"),
    ("disk i/o", "input/output error"),
)
_RENAME_NOREPLACE, _RENAME_EXCHANGE, _AT_FDCWD = 1, 2, -100


def write_failure(exc: BaseException, inside: Path | None = None) -> str | None:
    """Why a write failed (``"no space left on device"``...), or None when ``exc`` is not a
    failed write. An ``OSError`` about a file outside ``inside`` (an input) is not one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            name = seen.filename
            if inside is not None and name is not None and not _within(Path(str(name)), inside):
                return None
            return _REASONS.get(seen.errno) or seen.strerror or str(seen)
        if isinstance(seen, sqlite3.Error):
            text = str(seen).lower()
            return next((reason for key, reason in _SQLITE_REASONS if key in text), None)
        text = str(seen).lower()  # libraries that wrap the OS error in their own (safetensors)
        if found := next((r for r in _REASONS.values() if r in text), None):
            return found
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def _within(path: Path, directory: Path) -> bool:
    return path.absolute().is_relative_to(directory.absolute())


@contextlib.contextmanager
def writing(target: Path, *, inside: Path | None = None, note: str = "") -> Iterator[None]:
    """Turn a failed write in the block into ``OutputError("REASON while writing TARGET")``."""
    try:
        yield
    except (OutputError, IndexExistsError):
        raise
    except Exception as exc:
        reason = write_failure(exc, inside)
        if reason is None:
            raise
        raise OutputError(f"{reason} while writing {target}{note}") from exc


def rename_noreplace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``; ``FileExistsError`` if ``target`` exists, checked by the
    kernel at the rename itself (Linux ``renameat2``), else just before it."""
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename is not None:
        old, new = os.fsencode(source), os.fsencode(target)
        if rename(_AT_FDCWD, old, _AT_FDCWD, new, _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS):  # else the file system lacks the flag
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "File exists", str(target))
    source.rename(target)


def exchange(first: Path, second: Path) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``): at every
    moment each name holds one of the two. False, with nothing done, where the OS or the file
    system cannot."""
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename is None:
        return False
    if rename(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE):
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            return False
        raise OSError(code, os.strerror(code), str(second))
    return True


def refuse_inputs(outputs: Iterable[Path | None], inputs: Iterable[Path | str | None]) -> None:
    """Refuse to write an output onto an input: the same file (device and inode), whether
    named alike, through a symbolic link or by a hard link; ``-`` is stdin, compared when it
    is a file (``< FILE``). ``None`` is skipped, and so is an output ``-`` (stdout)."""
    seen: dict[tuple[int, int], Path | str] = {}
    for given in inputs:
        if given is None:
            continue
        with contextlib.suppress(OSError, ValueError):
            status = os.fstat(0) if str(given) == "-" else os.stat(given)  # "-": stdin
            if str(given) != "-" or stat.S_ISREG(status.st_mode):
                seen[(status.st_dev, status.st_ino)] = "stdin" if str(given) == "-" else given
    for output in outputs:
        if output is None or str(output) == "-":
            continue
        try:
            status = os.stat(output)
        except OSError:
            continue
        if (found := seen.get((status.st_dev, status.st_ino))) is not None:
            raise OutputError(
                f"{output} is the input {found}: writing it would destroy the input; "
                "choose another output"
            )


def check_outputs(
    paths: Sequence[Path], inputs: Iterable[Path | str | None], overwrite: bool | None
) -> None:
    """Before any work: no output onto an input, none over a file without ``overwrite``."""
    refuse_inputs(paths, inputs)
    for path in paths:
        check_output_file(path, overwrite)


def with_suffixes(prefix: Path, *suffixes: str) -> list[Path]:
    """``PREFIX.json``, ``PREFIX.md``...: the files of an output prefix."""
    return [prefix.with_name(prefix.name + suffix) for suffix in suffixes]


def ordinary_mode(path: Path, directory: bool) -> None:
    """``mkdtemp``/``mkstemp`` make private paths; an output gets the umask's usual mode."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod((0o777 if directory else 0o666) & ~umask)


def check_output_file(path: Path, overwrite: bool | None) -> None:
    """Never replace a directory; replace a file only with ``overwrite`` (``None``: the
    command has no such flag, and a file is replaced as before)."""
    if path.is_dir():
        raise OutputError(f"{path} is a directory; give a file name to write")
    if overwrite is False and os.path.lexists(path):
        raise IndexExistsError(f"{path} exists; pass --overwrite to replace it")


@contextlib.contextmanager
def atomic_file(path: Path, *, overwrite: bool | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix) renamed onto it when the block ends
    without error, removed otherwise; write failures become one :class:`OutputError`."""
    check_output_file(path, overwrite)
    tmp = temporary_file(path)
    try:
        with writing(path, note=PARTIAL_REMOVED):
            yield tmp
        commit_file(tmp, path, overwrite)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temporary_file(path: Path) -> Path:
    """A new empty hidden file beside ``path``: ``.NAME.XXXXXXXX.partialSUFFIX``."""
    with writing(path):
        handle, name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=f".partial{path.suffix}", dir=path.parent
        )
        os.close(handle)
    return Path(name)


def commit_file(tmp: Path, path: Path, overwrite: bool | None) -> None:
    """Rename a finished temporary file onto ``path``, checking ``path`` again now."""
    ordinary_mode(tmp, directory=False)
    check_output_file(path, overwrite)
    if overwrite is False:
        try:
            rename_noreplace(tmp, path)
        except FileExistsError:
            raise IndexExistsError(f"{path} appeared meanwhile; pass --overwrite") from None
    else:
        tmp.replace(path)


@contextlib.contextmanager
def atomic_files(paths: Sequence[Path], *, overwrite: bool | None = None) -> Iterator[list[Path]]:
    """:func:`atomic_file` for several files written together (a report's JSON, Markdown and
    PNG): every target is checked, all the temporaries written, every target checked again,
    then all renamed; on any failure the temporaries are removed and every old file is left."""
    for path in paths:
        check_output_file(path, overwrite)
    temporaries: list[Path] = []
    try:
        for path in paths:
            temporaries.append(temporary_file(path))
        with writing(paths[0], note=PARTIAL_REMOVED):
            yield temporaries
        for path in paths:
            check_output_file(path, overwrite)
        for tmp, path in zip(temporaries, paths, strict=True):
            ordinary_mode(tmp, directory=False)
            tmp.replace(path)
    except BaseException:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)
        raise
