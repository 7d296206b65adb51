"""The manifest of an index directory: what built it, from what, and the sizes of its files.

``IndexManifest.read`` refuses a directory whose files are missing, truncated or from another
format version, so an index that loads is an index that is whole.
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from .._version import __version__
from ..errors import IndexFormatError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST, VECTORS, CONCEPTS = "manifest.json", "vectors.faiss", "concepts.sqlite"


def library_versions() -> dict[str, str]:
    """Versions of entitylink and the libraries that shape an index."""
    names = ("torch", "transformers", "faiss-cpu", "numpy", "sqlalchemy")
    found = {"entitylink": __version__, "python": platform.python_version()}
    for name in names:
        try:
            found[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing distribution is simply not recorded
            continue
    return found


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_kinds(manifest: IndexManifest) -> None:
    """Raise TypeError (InvalidVersion) for a field of the wrong kind (a hand-edited file)."""
    for name in ("encoder", "index", "counts", "vocabulary", "files", "versions"):
        if not isinstance(getattr(manifest, name), dict):
            raise TypeError(f"{name!r} is not a JSON object")
    if not all(isinstance(k, str) and type(v) is int for k, v in manifest.files.items()):
        raise TypeError("'files' must map file names to sizes in bytes")
    Version(str(manifest.versions.get("entitylink", "0")))


@dataclass(frozen=True)
class IndexManifest:
    """What ``manifest.json`` holds."""

    encoder: dict[str, Any]
    index: dict[str, Any]
    counts: dict[str, int]
    vocabulary: dict[str, Any]
    files: dict[str, int]
    build_seconds: float
    versions: dict[str, str] = field(default_factory=library_versions)
    created_at: str = field(default_factory=now_utc)
    format_version: int = FORMAT_VERSION

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, directory: Path) -> IndexManifest:
        """Read and check ``manifest.json``: format version, files present with their sizes."""
        path = directory / MANIFEST
        if not path.is_file():
            raise IndexFormatError(f"{directory}: not an index directory (no {MANIFEST})")
        try:
            data = json.loads(path.read_text())
            manifest = cls(**data)
            _check_kinds(manifest)
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError, InvalidVersion) as exc:
            raise IndexFormatError(f"{path}: unreadable manifest: {exc}") from exc
        if manifest.format_version != FORMAT_VERSION:
            raise IndexFormatError(
                f"{directory}: index format {manifest.format_version}, this entitylink reads "
                f"format {FORMAT_VERSION}; rebuild the index with this version"
            )
        built_by = manifest.versions.get("entitylink", "0")
        if Version(built_by) > Version(__version__):
            logger.warning(
                "%s was built by entitylink %s, newer than %s",
                directory,
                built_by,
                __version__,
            )
        for name, size in manifest.files.items():
            actual = (directory / name).stat().st_size if (directory / name).exists() else None
            if actual != size:
                raise IndexFormatError(
                    f"{directory / name}: {'missing' if actual is None else f'{actual} bytes'}, "
                    f"the manifest says {size} bytes: the index is truncated or altered; rebuild it"
                )
        return manifest
