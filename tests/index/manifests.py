"""Editing a copy's manifest the way a tool that knows the format would: with its own checksum
recomputed, so that the check under test is the one that answers."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from entitylink import ConceptIndex
from entitylink.index.integrity import SELF_CHECKSUM, manifest_checksum
from entitylink.index.layout import MANIFEST


def copy_index(index: ConceptIndex, target: Path) -> Path:
    shutil.copytree(index.path, target)
    return target


def restamp(path: Path, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """Apply ``change`` to ``path``'s manifest and record the matching checksum."""
    data = json.loads((path / MANIFEST).read_text())
    change(data)
    data[SELF_CHECKSUM] = manifest_checksum(data)
    (path / MANIFEST).write_text(json.dumps(data))
    return data
