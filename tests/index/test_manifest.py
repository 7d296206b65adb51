from __future__ import annotations

import errno
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from entitylink import ConceptIndex, IndexFormatError
from entitylink.index.layout import MANIFEST
from entitylink.index.manifest import IndexManifest


def with_manifest(index: ConceptIndex, tmp_path: Path, change: Any) -> Path:
    path = tmp_path / "copy"
    shutil.copytree(index.path, path)
    data = json.loads((path / MANIFEST).read_text())
    change(data)
    (path / MANIFEST).write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("counts", "names"),
        ("counts", "concepts"),
        ("encoder", "dim"),
        ("encoder", "model"),
        ("index", "spec"),
    ],
)
def test_a_missing_nested_key_is_named(
    tiny_index: ConceptIndex, tmp_path: Path, section: str, key: str
) -> None:
    path = with_manifest(tiny_index, tmp_path, lambda d: d[section].pop(key))
    with pytest.raises(IndexFormatError, match=rf"no key {section}\.{key}; rebuild the index"):
        ConceptIndex.load(path)


@pytest.mark.parametrize("key", ["encoder", "index", "counts", "files", "build_seconds"])
def test_a_missing_key_is_named(tiny_index: ConceptIndex, tmp_path: Path, key: str) -> None:
    path = with_manifest(tiny_index, tmp_path, lambda d: d.pop(key))
    with pytest.raises(IndexFormatError, match=f"no key '{key}'"):
        ConceptIndex.load(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["counts"].update(names="1658"), "counts.names is '1658', not an integer"),
        (lambda d: d["encoder"].update(dim=True), "encoder.dim is True, not an integer"),
        (lambda d: d.update(counts=[1, 2]), "'counts' is not an object"),
        (lambda d: d["files"].update({"vectors.faiss": None}), "files.vectors.faiss is None"),
        (lambda d: d["checksums"].update({"x": 1}), "checksums.x is 1, not a string"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d["versions"].update(entitylink="banana"), "not a version"),
        (lambda d: d.update(build_seconds="fast"), "build_seconds is 'fast', not a number"),
    ],
)
def test_a_wrong_value_is_named(
    tiny_index: ConceptIndex, tmp_path: Path, change: Any, message: str
) -> None:
    path = with_manifest(tiny_index, tmp_path, change)
    with pytest.raises(IndexFormatError, match=message):
        ConceptIndex.load(path)


def test_a_manifest_that_is_not_an_object(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    path = tmp_path / "copy"
    shutil.copytree(tiny_index.path, path)
    (path / MANIFEST).write_text("[1, 2]")
    with pytest.raises(IndexFormatError, match="a JSON list, not an object"):
        ConceptIndex.load(path)
    (path / MANIFEST).write_bytes(b"\xff\xfe")
    with pytest.raises(IndexFormatError, match="unreadable manifest"):
        ConceptIndex.load(path)


def test_write_replaces_the_manifest_atomically(
    tiny_index: ConceptIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one manifest writer: a complete new manifest, or the old one and no partial file."""
    path = tmp_path / "copy"
    shutil.copytree(tiny_index.path, path)
    before = (path / MANIFEST).read_text()
    changed = replace(tiny_index.manifest, build_seconds=1.5)
    changed.write(path)
    assert IndexManifest.read(path) == changed
    assert sorted(p.name for p in path.iterdir()) == sorted(
        p.name for p in tiny_index.path.iterdir()
    )
    original = Path.write_text

    def half(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        original(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", half)
    with pytest.raises(OSError, match="No space left"):
        replace(changed, build_seconds=2.5).write(path)
    monkeypatch.undo()
    assert IndexManifest.read(path) == changed and before != (path / MANIFEST).read_text()
    assert sorted(p.name for p in path.iterdir()) == sorted(
        p.name for p in tiny_index.path.iterdir()
    )
