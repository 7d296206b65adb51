"""Replacing an index directory: build it in a hidden directory, swap it into place when whole.

- :func:`check_index_target` is the overwrite rule for an index directory: ``--overwrite``
  replaces an entitylink index (or an empty directory), never anything else;
- :func:`building` gives the hidden build directory (``.NAME.building-PID-XXXX``), removes the
  ones dead builders left (:func:`remove_stale`), and moves the finished directory into place,
  checking the target again at that moment (:func:`~entitylink.files.rename_noreplace`); an
  existing index is replaced by exchanging the two directories in one step
  (:func:`~entitylink.files.exchange`), so ``--out`` always holds a loadable index. Where the
  OS cannot exchange, the old index is moved aside first, and a build killed in between leaves
  it aside for the next build to restore.

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
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import IndexExistsError, OutputError
from ..files import exchange, ordinary_mode, rename_noreplace, writing
from .layout import MANIFEST

logger = logging.getLogger(__name__)


def is_index(path: Path) -> bool:
    """Whether ``path`` is an entitylink index directory: its manifest, a regular file (a FIFO
    or a device there is never opened), parses as ours."""
    manifest = path / MANIFEST
    try:
        if not stat.S_ISREG(manifest.lstat().st_mode):
            return False
        data = json.loads(manifest.read_text(encoding="utf-8"))
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
    """Remove the temporary directories that dead builders of ``out`` left beside it; but
    where ``out`` is missing and a dead builder's aside copy of the old index is whole, move
    that copy back to ``out`` (the builder died between moving it aside and moving the new one
    in, which only happens where the OS cannot exchange two directories)."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(building|old)-(\d+)-\w+")
    if not out.parent.is_dir():
        return
    for path in sorted(out.parent.iterdir()):
        match = pattern.fullmatch(path.name)
        if not match or int(match.group(2)) == os.getpid() or _alive(int(match.group(2))):
            continue
        aside = path / out.name
        if match.group(1) == "old" and not os.path.lexists(out) and is_index(aside):
            logger.warning("restoring %s from %s, left by a build that did not finish", out, path)
            aside.rename(out)
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
    with writing(out):
        remove_stale(out)  # first: it may restore the index a killed build left aside
    check_index_target(out, overwrite)
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
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
    if exchange(new, out):  # one step: out is the old index, then the new one, never neither
        shutil.rmtree(new, ignore_errors=True)  # now the old index
        return
    _move_aside_and_in(new, out)


def _move_aside_and_in(new: Path, out: Path) -> None:
    """Without an exchange: move the old index aside, the new one in; a kill between the two
    leaves the old one aside, which the next build restores (:func:`remove_stale`)."""
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
