from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from entitylink import Concept, ConceptIndex, Encoder, IndexExistsError, build_index
from entitylink.index.swap import is_index, remove_stale

FEW = [Concept("C1", "asthma"), Concept("C2", "fever")]


def test_overwrite_never_replaces_a_users_directory(tmp_path: Path, tiny_encoder: Encoder) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("years of work")
    for overwrite in (False, True):
        with pytest.raises(
            IndexExistsError,
            match=r"a directory of 1 entry that is not an index \(no manifest.json\)",
        ):
            build_index(FEW, tiny_encoder, out, overwrite=overwrite, progress=False)
    assert (out / "chapter1.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


def test_overwrite_never_replaces_a_file_or_a_foreign_manifest(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("keep me")
    with pytest.raises(IndexExistsError, match="notes.txt is a file; --overwrite replaces only"):
        build_index(FEW, tiny_encoder, file, overwrite=True, progress=False)
    assert file.read_text() == "keep me"
    other = tmp_path / "webapp"
    other.mkdir()
    (other / "manifest.json").write_text('{"name": "my web app", "icons": []}')
    with pytest.raises(IndexExistsError, match="whose manifest.json is not an index's"):
        build_index(FEW, tiny_encoder, other, overwrite=True, progress=False)
    assert (other / "manifest.json").exists()
    link = tmp_path / "link"
    link.symlink_to(other)
    with pytest.raises(IndexExistsError, match="a symbolic link"):
        build_index(FEW, tiny_encoder, link, overwrite=True, progress=False)


def test_overwrite_replaces_an_index_or_an_empty_directory(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IndexExistsError, match="exists; pass overwrite=True"):
        build_index(FEW, tiny_encoder, empty, progress=False)
    build_index(FEW, tiny_encoder, empty, overwrite=True, progress=False)
    build_index(FEW[:1], tiny_encoder, empty, overwrite=True, progress=False)
    assert ConceptIndex.load(empty).manifest.counts["concepts"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_final_rename_checks_out_again(tmp_path: Path, tiny_encoder: Encoder) -> None:
    """A build that finds --out created by another build meanwhile fails; that index stays."""
    out = tmp_path / "idx"

    def racing() -> Iterator[Concept]:
        yield from FEW
        build_index(FEW[:1], tiny_encoder, out, progress=False)  # the other build wins

    with pytest.raises(IndexExistsError, match="created by another build while this one ran"):
        build_index(racing(), tiny_encoder, out, progress=False)
    assert ConceptIndex.load(out).manifest.counts["concepts"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_final_rename_with_overwrite_still_refuses_user_data(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    out = tmp_path / "idx"

    def racing() -> Iterator[Concept]:
        yield from FEW
        out.mkdir()
        (out / "data.csv").write_text("a,b\n")

    with pytest.raises(IndexExistsError, match="not an index"):
        build_index(racing(), tiny_encoder, out, overwrite=True, progress=False)
    assert (out / "data.csv").read_text() == "a,b\n"


def _dead_pid() -> int:
    """The process ID of a process that has exited."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    return int(dead.stdout)


def test_stale_build_directories_of_dead_processes_are_removed(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    pid = _dead_pid()
    stale = tmp_path / f".idx.building-{pid}-abc123"
    stale.mkdir()
    (stale / "vectors.npy").write_bytes(b"\0" * 1000)
    old = tmp_path / f".idx.old-{pid}-xyz"
    old.mkdir()
    alive = tmp_path / f".idx.building-{os.getppid()}-live"  # a running builder: kept
    alive.mkdir()
    unrelated = tmp_path / f".other.building-{pid}-abc"
    unrelated.mkdir()
    build_index(FEW, tiny_encoder, tmp_path / "idx", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["idx", alive.name, unrelated.name])
    remove_stale(tmp_path / "idx")  # idempotent
    assert alive.exists()


def test_a_dead_builds_aside_index_is_restored_when_out_is_missing(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    out = tmp_path / "idx"
    build_index([Concept("C1", "asthma")], tiny_encoder, out, progress=False)
    aside = tmp_path / f".idx.old-{_dead_pid()}-xyz"
    aside.mkdir()
    out.rename(aside / "idx")  # killed between moving the old index aside and the new one in
    remove_stale(out)
    assert ConceptIndex.load(out).manifest.counts["concepts"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]
    aside.mkdir()  # with an index at out, an aside copy is only removed
    build_index([Concept("C2", "fever")], tiny_encoder, aside / "idx", progress=False)
    remove_stale(out)
    assert ConceptIndex.load(out).manifest.counts["concepts"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_without_an_exchange_the_index_is_still_replaced(
    tmp_path: Path, tiny_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entitylink.index import swap

    out = tmp_path / "idx"
    build_index([Concept("C1", "asthma")], tiny_encoder, out, progress=False)
    monkeypatch.setattr(swap, "exchange", lambda first, second: False)
    two = [Concept("C1", "asthma"), Concept("C2", "fever")]
    build_index(two, tiny_encoder, out, overwrite=True, progress=False)
    assert ConceptIndex.load(out).manifest.counts["concepts"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_out_dot_in_an_empty_directory_builds_there(
    tmp_path: Path, tiny_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 25: ``build-index --out .`` in an empty directory built in ``./.building-*``, then
    refused ``.`` as "a directory of 1 entry that is not an index" (its own temporary one)."""
    here = tmp_path / "here"
    here.mkdir()
    inode = here.stat().st_ino
    monkeypatch.chdir(here)
    with pytest.raises(IndexExistsError, match="exists; pass overwrite=True"):
        build_index(FEW, tiny_encoder, Path("."), progress=False)
    build_index(FEW, tiny_encoder, Path("."), overwrite=True, progress=False)
    assert ConceptIndex.load(Path(".")).manifest.counts["concepts"] == 2
    assert here.stat().st_ino == inode  # filled in place: the shell standing in it sees it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]  # no build directory left
    assert not [p for p in here.iterdir() if p.name.startswith(".")]


def test_a_fifo_named_manifest_is_not_an_index_and_never_opened(tmp_path: Path) -> None:
    """``build-index --overwrite`` asks whether --out holds an index: a FIFO in the manifest's
    place would block a reader forever; it is not read, and the directory is not an index."""
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "manifest.json")
    assert not is_index(out)
