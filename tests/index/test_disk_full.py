"""A full disk or an unwritable place: one OutputError line, no temporary files, the previous
index untouched. On a small tmpfs where one can be mounted (root), else with a failing writer."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from entitylink import Concept, ConceptIndex, Encoder, build_index, read_vocabulary
from entitylink.cli import main
from entitylink.errors import OutputError
from entitylink.index import build as build_module
from entitylink.index.build import reindex
from entitylink.index.checksums import HashingFile
from tests.mounts import fill, read_only, tmpfs
from tests.paths import SAMPLES

FEW = [Concept("C1", "asthma"), Concept("C2", "fever")]
# the sample's concepts.sqlite is 221 kB with its name keys (more at its peak, with its
# journal); its vectors 1658 names x 32 dimensions x 4 bytes = 212 kB, once as .npy and once
# in vectors.faiss
SQLITE_BYTES = 230_000


def sample() -> Any:
    return read_vocabulary(SAMPLES / "MRCONSO.RRF")


@pytest.fixture
def disk(tmp_path: Path) -> Any:
    with tmpfs(tmp_path / "disk", size="2m") as mounted:
        yield mounted


def hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def old_index(disk: Path, encoder: Encoder) -> Path:
    out = disk / "idx"
    build_index(FEW, encoder, out, progress=False)
    return out


def assert_untouched(out: Path) -> None:
    assert ConceptIndex.load(out, verify=True).manifest.counts["concepts"] == 2
    assert hidden(out.parent) == []


def test_disk_fills_while_sqlite_writes(disk: Path, tiny_encoder: Encoder) -> None:
    out = old_index(disk, tiny_encoder)
    fill(disk, leave=40_000)
    with pytest.raises(OutputError) as raised:
        build_index(sample(), tiny_encoder, out, overwrite=True, progress=False)
    message = str(raised.value)
    assert message.startswith(f"no space left on device while writing {out}/concepts.sqlite; ")
    assert message.endswith(f"the partial build was removed and {out} left as it was")
    assert_untouched(out)


def test_not_enough_space_for_the_vectors_is_found_before_encoding(
    disk: Path, tiny_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = old_index(disk, tiny_encoder)
    fill(disk, leave=480_000)  # the vectors fit once, not twice

    def never(*args: object) -> None:
        raise AssertionError("encoding started")

    monkeypatch.setattr(build_module, "encode_store", never)
    with pytest.raises(OutputError, match=rf"no space left on device while writing {out}: 1658"):
        build_index(sample(), tiny_encoder, out, overwrite=True, progress=False)
    assert_untouched(out)


def test_disk_fills_while_vectors_are_reserved_no_sigbus(
    disk: Path, tiny_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the up-front check, the memory map's blocks are reserved: an error, no SIGBUS."""
    monkeypatch.setattr(build_module, "check_space", lambda *args: None)
    out = old_index(disk, tiny_encoder)

    def unreached(self: HashingFile, data: bytes) -> int:
        raise AssertionError("the vectors were encoded without their blocks")

    monkeypatch.setattr(HashingFile, "write", unreached)
    write_concepts = build_module.write_concepts

    def then_fill(*args: Any) -> Any:  # SQLite is written; the vectors (212 kB) do not fit
        counts = write_concepts(*args)
        fill(disk, leave=100_000)
        return counts

    monkeypatch.setattr(build_module, "write_concepts", then_fill)
    with pytest.raises(OutputError, match=rf"no space left on device while writing {out}/vectors"):
        build_index(sample(), tiny_encoder, out, overwrite=True, progress=False)
    assert_untouched(out)


def test_disk_fills_while_faiss_writes(
    disk: Path, tiny_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "check_space", lambda *args: None)
    out = old_index(disk, tiny_encoder)
    fill(disk, leave=480_000)  # SQLite and the .npy vectors fit, the FAISS file does not
    with pytest.raises(OutputError, match=rf"while writing {out}/vectors.faiss; the partial"):
        build_index(sample(), tiny_encoder, out, overwrite=True, progress=False)
    assert_untouched(out)


def test_cli_build_on_a_full_disk_is_one_line(
    disk: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = disk / "idx"
    fill(disk, leave=40_000)
    argv = ["build-index", str(SAMPLES / "MRCONSO.RRF"), "--out", str(out)]
    code = main([*argv, "--model", str(tiny_model_dir), "-q"])
    err = capsys.readouterr().err
    last = err.rstrip("\n").split("\n")[-1]  # after the progress bar's line
    assert code == 1 and "Traceback" not in err and err.count("error:") == 1
    assert last.startswith(f"error: no space left on device while writing {out}/concepts.sqlite")
    assert list(disk.iterdir()) == [disk / "filler"]


def test_reindex_on_a_full_disk(disk: Path, tiny_index: ConceptIndex) -> None:
    fill(disk, leave=SQLITE_BYTES + 100_000)
    with pytest.raises(OutputError, match="no space left on device while writing"):
        reindex(tiny_index.path, disk / "hnsw", spec="HNSW16", progress=False)
    assert list(disk.iterdir()) == [disk / "filler"]


def test_read_only_place(disk: Path, tiny_encoder: Encoder) -> None:
    out = old_index(disk, tiny_encoder)
    read_only(disk)
    with pytest.raises(OutputError, match=f"read-only file system while writing {out}"):
        build_index(sample(), tiny_encoder, out, overwrite=True, progress=False)
    with pytest.raises(OutputError, match="read-only file system while writing"):
        build_index(FEW, tiny_encoder, disk / "new", progress=False)
    assert_untouched(out)


@pytest.mark.parametrize("failing", ["sqlite", "faiss"])
def test_failing_writer_without_tmpfs(
    tmp_path: Path, tiny_encoder: Encoder, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The same checks where no tmpfs can be mounted: the writers fail as a full disk would."""
    out = tmp_path / "idx"
    build_index(FEW, tiny_encoder, out, progress=False)
    if failing == "sqlite":
        import sqlite3

        from entitylink.index import store

        def full(*args: object) -> int:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(store.ConceptStore, "add", full)
    else:

        def no_space(self: HashingFile, data: bytes) -> int:
            self.error = OSError(errno.ENOSPC, "No space left on device")
            raise self.error

        monkeypatch.setattr(HashingFile, "write", no_space)
    with pytest.raises(OutputError, match=f"no space left on device while writing {out}/"):
        build_index(sample(), tiny_encoder, out, overwrite=True, progress=False)
    assert ConceptIndex.load(out).manifest.counts["concepts"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]
