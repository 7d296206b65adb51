"""An index directory names only its own regular files, and its manifest carries its checksum."""

from __future__ import annotations

import builtins
import io
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from entitylink import ConceptIndex, IndexFormatError
from entitylink.index.build import verify_index
from entitylink.index.integrity import SELF_CHECKSUM, contained, manifest_checksum
from entitylink.index.layout import CONCEPTS, MANIFEST, VECTORS
from entitylink.index.manifest import FORMAT_VERSION
from tests.index.manifests import copy_index, restamp


@pytest.fixture
def copy(tiny_index: ConceptIndex, tmp_path: Path) -> Path:
    return copy_index(tiny_index, tmp_path / "copy")


class Touched:
    """Every path stat'ed or opened while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        self.recording = True
        for module, name in ((os, "stat"), (os, "lstat"), (builtins, "open"), (io, "open")):
            monkeypatch.setattr(module, name, self._recording(getattr(module, name)))

    def _recording(self, original: Any) -> Any:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if self.recording:
                self.paths.append(os.fsdecode(path) if isinstance(path, str | bytes | Path) else "")
            return original(path, *args, **kwargs)

        return call

    def outside(self, directory: Path) -> list[str]:
        self.recording = False
        root = os.path.realpath(directory)
        # Python's own source files (linecache, logging's caller lookup), the running script's
        # included (`.venv/bin/pytest` has no .py suffix), are not index data
        script = os.path.realpath(sys.argv[0])
        data = [
            p
            for p in self.paths
            if p and not p.endswith((".py", ".pyc")) and os.path.realpath(p) != script
        ]
        return [p for p in data if not os.path.realpath(p).startswith(root)]


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("/dev/zero", 0),
        ("/etc/shadow", 1),
        ("../../../../../../../../etc/passwd", Path("/etc/passwd").stat().st_size),
        ("sub/../../outside", 1),
        ("..", 0),
        ("", 0),
    ],
)
@pytest.mark.parametrize("stamped", [True, False], ids=["format2", "format1"])
def test_a_name_outside_the_directory_is_refused_untouched(
    copy: Path, monkeypatch: pytest.MonkeyPatch, name: str, size: int, stamped: bool
) -> None:
    def change(data: dict[str, Any]) -> None:
        data["files"][name] = size
        if not stamped:  # an old format carries no checksum to catch the edit first
            data["format_version"] = 1

    restamp(copy, change)
    if not stamped:
        manifest = json.loads((copy / MANIFEST).read_text())
        del manifest[SELF_CHECKSUM]
        (copy / MANIFEST).write_text(json.dumps(manifest))
    touched = Touched(monkeypatch)
    with pytest.raises(IndexFormatError, match="not a file of the index directory"):
        ConceptIndex.load(copy)
    with pytest.raises(IndexFormatError, match="not a file of the index directory"):
        verify_index(copy)
    assert touched.outside(copy) == []


def test_a_checksum_named_outside_is_refused_untouched(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    restamp(copy, lambda d: d["checksums"].update({"/dev/zero": "blake2b:00"}))
    touched = Touched(monkeypatch)
    with pytest.raises(IndexFormatError, match="'/dev/zero', not a file of the index"):
        verify_index(copy)
    assert touched.outside(copy) == []


def test_a_symlink_out_of_the_directory_is_refused(copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (copy / CONCEPTS).rename(outside / CONCEPTS)  # the same bytes, the same size
    (copy / CONCEPTS).symlink_to(outside / CONCEPTS)
    with pytest.raises(IndexFormatError, match="symbolic link leading out of the index"):
        ConceptIndex.load(copy)
    with pytest.raises(IndexFormatError, match="symbolic link leading out"):
        verify_index(copy)


def test_a_symlink_inside_the_directory_is_followed(copy: Path) -> None:
    (copy / "store").mkdir()
    (copy / CONCEPTS).rename(copy / "store" / CONCEPTS)
    (copy / CONCEPTS).symlink_to(Path("store") / CONCEPTS)
    assert len(verify_index(copy).vectors) == 1658


def test_a_manifest_symlinked_out_is_refused(copy: Path, tmp_path: Path) -> None:
    (copy / MANIFEST).rename(tmp_path / "manifest.json")
    (copy / MANIFEST).symlink_to(tmp_path / "manifest.json")
    with pytest.raises(IndexFormatError, match="symbolic link leading out"):
        ConceptIndex.load(copy)


def _never_blocks(load: Any, fifo: Path) -> BaseException | None:
    """Run ``load`` in a thread; a FIFO opened for reading would block it until a writer
    comes, so after 20 s the test opens one (to free the thread) and fails."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():
        with fifo.open("wb"):
            pass
        thread.join(5)
        pytest.fail(f"loading opened the FIFO {fifo}")
    return outcome[0]


@pytest.mark.parametrize("name", [VECTORS, CONCEPTS, "extra.bin", MANIFEST])
def test_a_fifo_is_refused_without_being_opened(copy: Path, name: str) -> None:
    restamp(copy, lambda d: d["files"].update({"extra.bin": 0}) if name == "extra.bin" else None)
    (copy / name).unlink(missing_ok=True)
    os.mkfifo(copy / name)
    for load in (lambda: ConceptIndex.load(copy), lambda: verify_index(copy)):
        error = _never_blocks(load, copy / name)
        assert isinstance(error, IndexFormatError)
        assert "not a regular file" in str(error) or "not an index directory" in str(error)


def test_a_device_is_refused(copy: Path) -> None:
    (copy / "zero").symlink_to("/dev/zero")  # a link out, to a device: refused either way
    restamp(copy, lambda d: d["files"].update({"zero": 0}))
    with pytest.raises(IndexFormatError, match="symbolic link leading out"):
        verify_index(copy)


def test_contained_answers_for_plain_files(copy: Path) -> None:
    found = contained(copy, VECTORS)
    assert found is not None and found.st_size == (copy / VECTORS).stat().st_size
    assert contained(copy, "absent.bin") is None
    (copy / "sub").mkdir()
    with pytest.raises(IndexFormatError, match="not a regular file"):
        contained(copy, "sub")


def test_the_manifest_records_its_own_checksum(tiny_index: ConceptIndex) -> None:
    data = json.loads((tiny_index.path / MANIFEST).read_text())
    assert data["format_version"] == FORMAT_VERSION == 2
    assert data[SELF_CHECKSUM] == manifest_checksum(data)
    # canonical form: key order and whitespace do not matter, values do
    assert manifest_checksum(dict(reversed(list(data.items())))) == data[SELF_CHECKSUM]
    assert manifest_checksum({**data, "build_seconds": 0.5}) != data[SELF_CHECKSUM]


def test_an_edited_manifest_is_refused(copy: Path) -> None:
    text = (copy / MANIFEST).read_text()
    (copy / MANIFEST).write_text(text.replace('"pooling": "cls"', '"pooling": "mean"'))
    with pytest.raises(IndexFormatError, match="differs from its own checksum"):
        ConceptIndex.load(copy)
    with pytest.raises(IndexFormatError, match="differs from its own checksum"):
        verify_index(copy)


def test_an_edited_manifest_with_its_checksum_removed_is_refused(copy: Path) -> None:
    data = json.loads((copy / MANIFEST).read_text())
    del data[SELF_CHECKSUM], data["checksums"]
    (copy / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(IndexFormatError, match="no manifest_checksum"):
        ConceptIndex.load(copy)


def test_a_reformatted_manifest_still_loads(copy: Path) -> None:
    data = json.loads((copy / MANIFEST).read_text())
    (copy / MANIFEST).write_text(json.dumps(data, indent=7, sort_keys=True))
    assert len(ConceptIndex.load(copy).vectors) == 1658


def test_a_format_1_index_loads_with_one_warning(
    copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = json.loads((copy / MANIFEST).read_text())
    del data[SELF_CHECKSUM], data["encoder_identity"]
    (copy / MANIFEST).write_text(json.dumps({**data, "format_version": 1}))
    with caplog.at_level(logging.WARNING):
        ConceptIndex.load(copy)
        ConceptIndex.load(copy)
    assert caplog.text.count("index format 1 (before entitylink 0.2)") == 1
    assert "rebuild the index" in caplog.text
