"""Writing outputs so that nothing is lost and nothing half-written is left behind.

Every output goes to a temporary path beside its target and is renamed onto it when complete:

- :func:`check_index_target` is the overwrite rule for an index directory: ``--overwrite``
  replaces an entitylink index (or an empty directory), never anything else;
- :func:`building` gives the hidden build directory (``.NAME.building-PID-XXXX``), removes the
  ones dead builders left, and moves the finished directory into place, checking the target
  again at that moment (:func:`rename_noreplace`);
- :func:`atomic_file` does the same for one file (tables, reports);
- :func:`writing` turns a failed write (disk full, no permission, SQLite's "database or disk is
  full") into one :class:`~entitylink.errors.OutputError` line that names the target.

>>> with atomic_file(Path("links.jsonl"), overwrite=True) as tmp:   # doctest: +SKIP
...     tmp.write_text("...")
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import IndexExistsError, OutputError

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
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
_RENAME_NOREPLACE, _AT_FDCWD = 1, -100


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


def is_index(path: Path) -> bool:
    """Whether ``path`` is an entitylink index directory: its manifest parses as ours."""
    try:
        data = json.loads((path / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and {"format_version", "encoder", "files"} <= data.keys()


def describe(path: Path) -> str:
    """What is at ``path``, for an error message."""
    if path.is_symlink():
        return "a symbolic link"
    if path.is_dir():
        count = sum(1 for _ in path.iterdir())
        entries = f"{count} {'entry' if count == 1 else 'entries'}"
        if (path / MANIFEST_NAME).exists():
            return f"a directory of {entries} whose {MANIFEST_NAME} is not an index's"
        return f"a directory of {entries} that is not an index (no {MANIFEST_NAME})"
    return "a file" if path.is_file() else "something other than a file or directory"


def check_index_target(out: Path, overwrite: bool) -> None:
    """Refuse to write an index at ``out`` over anything but an index or an empty directory
    (whatever ``overwrite`` says), and over those without ``overwrite``."""
    if not os.path.lexists(out):
        return
    replaceable = out.is_dir() and not out.is_symlink() and (is_index(out) or _empty(out))
    if not replaceable:
        raise IndexExistsError(
            f"{out} is {describe(out)}; --overwrite replaces only an entitylink index or an "
            "empty directory: choose another --out"
        )
    if not overwrite:
        raise IndexExistsError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")


def _empty(path: Path) -> bool:
    return next(path.iterdir(), None) is None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(out: Path) -> None:
    """Remove the temporary directories that dead builders of ``out`` left beside it."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(?:building|old)-(\d+)-\w+")
    if not out.parent.is_dir():
        return
    for path in out.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            logger.info("removing %s, left by a build that did not finish", path)
            shutil.rmtree(path, ignore_errors=True)


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


def _ordinary_mode(path: Path, directory: bool) -> None:
    """``mkdtemp``/``mkstemp`` make private paths; an output gets the umask's usual mode."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod((0o777 if directory else 0o666) & ~umask)


@contextlib.contextmanager
def building(out: Path, overwrite: bool) -> Iterator[Path]:
    """A hidden directory beside ``out`` to build in; it replaces ``out`` only when complete,
    and is removed on any error (or ``KeyboardInterrupt``, or SIGTERM through the CLI)."""
    check_index_target(out, overwrite)
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-{os.getpid()}-", dir=out.parent))
    try:
        _ordinary_mode(tmp, directory=True)
        try:
            with writing(out, inside=tmp):
                yield tmp
        except OutputError as exc:
            note = f"the partial build was removed and {out} left as it was"
            raise OutputError(f"{exc}; {note}") from exc
        _replace(tmp, out, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(new: Path, out: Path, overwrite: bool) -> None:
    """Move the finished build into place, checking ``out`` again now: another build may have
    written it since the start."""
    try:
        rename_noreplace(new, out)
        return
    except FileExistsError:
        if not overwrite:
            what = "an index" if is_index(out) else describe(out)
            raise IndexExistsError(
                f"{out} ({what}) was created by another build while this one ran; "
                "this build was discarded (pass --overwrite to replace an index)"
            ) from None
        check_index_target(out, overwrite)  # raises unless out is (still) an index to replace
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    out.rename(old / out.name)
    try:
        rename_noreplace(new, out)
    except BaseException:
        (old / out.name).rename(out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


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
        with writing(path, note="; removed the partial file"):
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
    _ordinary_mode(tmp, directory=False)
    check_output_file(path, overwrite)
    if overwrite is False:
        try:
            rename_noreplace(tmp, path)
        except FileExistsError:
            raise IndexExistsError(f"{path} appeared meanwhile; pass --overwrite") from None
    else:
        tmp.replace(path)
