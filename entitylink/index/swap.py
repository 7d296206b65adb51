"""Replacing an index directory: build it in a hidden directory, swap it into place when whole.

- :func:`check_index_target` is the overwrite rule for an index directory: ``--overwrite``
  replaces an entitylink index (or an empty directory), never anything else;
- :func:`building` gives the hidden build directory (``.NAME.building-PID-XXXX``), removes the
  ones dead builders left (:func:`remove_stale`), and moves the finished directory into place,
  checking the target again at that moment (:func:`~entitylink.files.rename_noreplace`).

Single output files (tables, reports, the manifest itself) are written with
:func:`entitylink.files.atomic_file`.

>>> with building(Path("indexes/medic"), overwrite=True) as tmp:   # doctest: +SKIP
...     write_the_index_into(tmp)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import IndexExistsError, OutputError
from ..files import ordinary_mode, rename_noreplace, writing
from .layout import MANIFEST

logger = logging.getLogger(__name__)


def is_index(path: Path) -> bool:
    """Whether ``path`` is an entitylink index directory: its manifest parses as ours."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
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
        if (path / MANIFEST).exists():
            return f"a directory of {entries} whose {MANIFEST} is not an index's"
        return f"a directory of {entries} that is not an index (no {MANIFEST})"
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


@contextlib.contextmanager
def building(out: Path, overwrite: bool) -> Iterator[Path]:
    """A hidden directory beside ``out`` to build in; it replaces ``out`` only when complete,
    and is removed on any error (or ``KeyboardInterrupt``, or SIGTERM through the CLI).
    ``--out .`` (or ``..``) is made absolute first, so that the build runs beside that
    directory, not in it (where its own directory would count as an entry that is not an index).
    """
    if out.name in ("", ".", ".."):
        out = Path(os.path.abspath(out))
    check_index_target(out, overwrite)
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-{os.getpid()}-", dir=out.parent))
    try:
        ordinary_mode(tmp, directory=True)
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
    if _empty(out):  # an empty directory (`--out .`): filled in place, whoever stands in it
        _fill(new, out)  # sees the index, not a deleted directory
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    out.rename(old / out.name)
    try:
        rename_noreplace(new, out)
    except BaseException:
        (old / out.name).rename(out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _fill(new: Path, out: Path) -> None:
    """Move the finished build's files into the empty directory ``out``, the manifest last
    (its presence means complete); on failure take back what was moved."""
    moved: list[Path] = []
    try:
        for entry in sorted(new.iterdir(), key=lambda path: path.name == MANIFEST):
            rename_noreplace(entry, out / entry.name)
            moved.append(out / entry.name)
        new.rmdir()
    except BaseException:
        for path in reversed(moved):
            path.rename(new / path.name)
        raise
