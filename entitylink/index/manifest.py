"""The manifest of an index directory: what built it, from what, the sizes and checksums of its
files, the identity of its encoder's weights, and a checksum of itself.

``IndexManifest.read`` refuses a directory whose files are missing, truncated or from another
format version, a manifest that lacks a key or holds a value of the wrong type (the error
names the key), one whose own checksum does not match (edited or damaged), and one that names a
file outside the directory or anything but a regular file (:mod:`.integrity`), so an index that
loads is an index that is whole. The files' checksums are compared only on request
(:func:`~entitylink.index.checksums.verify_checksums`, ``entitylink verify``).

Each ``entitylink update`` or ``compact`` writes a new *generation* of the directory: its
manifest records the ``generation`` (0 for a build), its ``parent`` (the previous generation's
``manifest_checksum``) and the ``changes`` it made (counts of names added and retired...).

Format 2 (entitylink 0.2) added ``manifest_checksum`` and ``encoder_identity``; a format 1
index still loads, with one warning that its manifest cannot be checked (rebuild it).
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from packaging.version import Version

from .._version import __version__
from ..errors import IndexFormatError
from ..files import commit_file, temporary_file
from .integrity import SELF_CHECKSUM, contained, manifest_checksum
from .layout import CONCEPTS, MANIFEST, RETIRED, SPARSE_FILES, VECTORS

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: manifest_checksum and encoder_identity (entitylink 0.2)
READABLE = (1, FORMAT_VERSION)  # format 1 loads with a warning: its manifest is unchecked
# keys inside the manifest's sections that loading and linking read, with their types
_NESTED: dict[str, dict[str, type]] = {
    "encoder": {"model": str, "dim": int},
    "index": {"spec": str},
    "counts": {"concepts": int, "names": int},
}
_SECTIONS = (
    "encoder",
    "index",
    "counts",
    "vocabulary",
    "files",
    "versions",
    "checksums",
    "encoder_identity",
    "changes",
)
_warned_old: set[Path] = set()  # format 1 directories already warned about


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


@dataclass(frozen=True)
class IndexManifest:
    """What ``manifest.json`` holds."""

    encoder: dict[str, Any]
    index: dict[str, Any]
    counts: dict[str, int]
    vocabulary: dict[str, Any]
    files: dict[str, int]
    build_seconds: float
    checksums: dict[str, str] = field(default_factory=dict)  # absent before entitylink 0.2
    # which weights built the index: {"weights": "sha256:..."} for a local model directory
    encoder_identity: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=library_versions)
    created_at: str = field(default_factory=now_utc)
    format_version: int = FORMAT_VERSION
    # 0 for a build; each update or compact writes generation + 1, naming its parent's
    # manifest_checksum and what it changed
    generation: int = 0
    parent: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    # of the other keys (:mod:`.integrity`), written by write(); absent in format 1
    manifest_checksum: str = field(default="", compare=False)

    def write(self, directory: Path) -> None:
        """Write ``directory/manifest.json`` atomically: a temporary file beside it, renamed
        onto it once complete (removed on error), so that readers see the old manifest or the
        new one. The one writer of manifests (build, reindex, add_sparse, set_hybrid_weight);
        callers name the target of a failed write (:func:`~entitylink.files.writing`)."""
        path = directory / MANIFEST
        data = {**asdict(self), "format_version": FORMAT_VERSION}
        data[SELF_CHECKSUM] = manifest_checksum(data)
        tmp = temporary_file(path)
        try:
            tmp.write_text(json.dumps(data, indent=2) + "\n")
            commit_file(tmp, path, overwrite=True)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @classmethod
    def read(cls, directory: Path) -> IndexManifest:
        """Read and check ``manifest.json``: the names it gives (inside the directory, regular
        files), its own checksum, format version, files present with their sizes."""
        path = directory / MANIFEST
        if contained(directory, MANIFEST) is None:
            raise IndexFormatError(f"{directory}: not an index directory (no {MANIFEST})")
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IndexFormatError(f"{path}: unreadable manifest: {exc}") from exc
        except OSError as exc:
            raise IndexFormatError(f"{path}: cannot read the manifest: {exc}") from exc
        _check_keys(path, data)
        manifest = cls(**data)
        if manifest.format_version not in READABLE:
            raise IndexFormatError(
                f"{directory}: index format {manifest.format_version}, this entitylink reads "
                f"formats {READABLE[0]} to {FORMAT_VERSION}; rebuild the index with this version"
            )
        _check_self(directory, data)
        built_by = manifest.versions.get("entitylink", "0")
        if Version(built_by) > Version(__version__):
            logger.warning(
                "%s was built by entitylink %s, newer than %s",
                directory,
                built_by,
                __version__,
            )
        # every name first, before any file is stat'ed by size or opened
        named = {*manifest.files, *manifest.checksums, VECTORS, CONCEPTS, RETIRED, *SPARSE_FILES}
        found = {name: contained(directory, name) for name in sorted(named)}
        for name, size in sorted(manifest.files.items()):
            entry = found[name]
            actual = entry.st_size if entry is not None else None
            if actual != size:
                raise IndexFormatError(
                    f"{directory / name}: {'missing' if actual is None else f'{actual} bytes'}, "
                    f"the manifest says {size} bytes: the index is truncated or altered; rebuild it"
                )
        return manifest


def _check_self(directory: Path, data: dict[str, Any]) -> None:
    """Compare the manifest with its own checksum (format 2); warn once about format 1."""
    recorded = data.get(SELF_CHECKSUM)
    if data.get("format_version", FORMAT_VERSION) < 2:
        if directory not in _warned_old:
            _warned_old.add(directory)
            logger.warning(
                "%s: index format 1 (before entitylink 0.2): its manifest has no checksum and no "
                "encoder identity, so edits to it go unnoticed; rebuild the index to get them",
                directory,
            )
        return
    if not recorded:
        raise IndexFormatError(
            f"{directory / MANIFEST}: no manifest_checksum, which format 2 always records: the "
            "manifest was edited; rebuild the index or get a sound copy"
        )
    if manifest_checksum(data) != recorded:
        raise IndexFormatError(
            f"{directory / MANIFEST}: the manifest differs from its own checksum (edited or "
            "damaged since the build); run entitylink verify, rebuild the index or get a sound copy"
        )


def _defect(path: Path, what: str) -> IndexFormatError:
    return IndexFormatError(f"{path}: unreadable manifest: {what}; rebuild the index")


def _check_keys(path: Path, data: Any) -> None:
    """Refuse a manifest whose keys or value types are not those :class:`IndexManifest` reads."""
    if not isinstance(data, dict):
        raise _defect(path, f"a JSON {type(data).__name__}, not an object")
    known = {f.name: f for f in fields(IndexManifest)}
    for name, spec in known.items():
        required = spec.default is MISSING and spec.default_factory is MISSING
        if name not in data and required:
            raise _defect(path, f"no key {name!r}")
    for name in data:
        if name not in known:
            raise _defect(path, f"unknown key {name!r}")
    for section in _SECTIONS:
        if not isinstance(data.get(section, {}), dict):
            raise _defect(path, f"{section!r} is not an object")
    for section, keys in _NESTED.items():
        for key, kind in keys.items():
            if key not in data[section]:
                raise _defect(path, f"no key {section}.{key}")
            _check_type(path, f"{section}.{key}", data[section][key], kind)
    for name, size in data["files"].items():
        _check_type(path, f"files.{name}", size, int)
    for name, checksum in data.get("checksums", {}).items():
        _check_type(path, f"checksums.{name}", checksum, str)
    for name, value in data.get("encoder_identity", {}).items():
        _check_type(path, f"encoder_identity.{name}", value, str)
    _check_type(path, "format_version", data.get("format_version", FORMAT_VERSION), int)
    _check_type(path, SELF_CHECKSUM, data.get(SELF_CHECKSUM, ""), str)
    _check_type(path, "build_seconds", data["build_seconds"], float)
    _check_type(path, "generation", data.get("generation", 0), int)
    _check_type(path, "parent", data.get("parent", ""), str)
    built_by = data.get("versions", {}).get("entitylink", "0")
    if not isinstance(built_by, str) or not _is_version(built_by):
        raise _defect(path, f"versions.entitylink is {built_by!r}, not a version")


def _check_type(path: Path, key: str, value: Any, kind: type) -> None:
    number = kind is float and isinstance(value, int | float)
    if isinstance(value, bool) or not (isinstance(value, kind) or number):
        expected = {int: "an integer", float: "a number", str: "a string"}[kind]
        raise _defect(path, f"{key} is {value!r}, not {expected}")


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except ValueError:
        return False
    return True
