"""What an index directory may name, and the checksum of its manifest.

An index directory is something users download and share, so nothing in it may make entitylink
touch a file outside it. :func:`contained` is asked about every name before anything is stat'ed
or opened through it: a name must be one plain file name of the directory (no ``/``, no ``..``),
a symbolic link must stay inside the directory, and what it names must be a regular file (not a
device, a FIFO or a directory).

The manifest records a checksum of itself (:func:`manifest_checksum`): BLAKE2b of its canonical
form, sorted-keys compact JSON without the ``manifest_checksum`` key. It catches an edited or
damaged manifest on every load, at the cost of one JSON dump of a kilobyte. It is not a
signature: whoever edits a manifest on purpose can recompute it.

>>> manifest_checksum({"b": 1, "a": [1.5, "x"]})[:20]
'blake2b:e8ad00194920'
>>> manifest_checksum({"a": [1.5, "x"], "b": 1, "manifest_checksum": "ignored"})[:20]
'blake2b:e8ad00194920'
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import IndexFormatError

SELF_CHECKSUM = "manifest_checksum"  # the manifest's key holding its own checksum


def manifest_checksum(data: Mapping[str, Any]) -> str:
    """``"blake2b:HEX"`` of the manifest's canonical JSON, without its own checksum."""
    canonical = {key: value for key, value in data.items() if key != SELF_CHECKSUM}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"blake2b:{hashlib.blake2b(text.encode(), digest_size=32).hexdigest()}"


def contained(directory: Path, name: object) -> os.stat_result | None:
    """The ``stat`` of the regular file ``name`` inside ``directory``; None when it is absent.

    Raises ``IndexFormatError``, before anything outside the directory is stat'ed or opened,
    when ``name`` is not one plain file name, when it is a symbolic link leading out of the
    directory, and when it is not a regular file (a device, a FIFO, a directory...).
    """
    if (
        not isinstance(name, str)
        or name in ("", ".", "..")
        or any(c in name for c in ("/", "\\", "\0"))
        or os.path.isabs(name)
    ):
        raise IndexFormatError(
            f"{directory}: the manifest names {name!r}, not a file of the index directory "
            "(an index names only its own files); rebuild the index or get a sound copy"
        )
    path = directory / name
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # ValueError: a name the file system cannot encode
        raise IndexFormatError(f"{path}: cannot read it: {exc}") from exc
    if stat.S_ISLNK(found.st_mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(directory))):
            raise IndexFormatError(
                f"{path}: a symbolic link leading out of the index directory (to {target}); "
                "an index names only its own files"
            )
        try:
            found = os.stat(target)
        except FileNotFoundError:
            return None
    if not stat.S_ISREG(found.st_mode):
        raise IndexFormatError(
            f"{path}: not a regular file (a device, FIFO, socket or directory); "
            "an index directory holds plain files only"
        )
    return found
