from __future__ import annotations

from pathlib import Path

import pytest

from entitylink import IndexExistsError
from entitylink.errors import OutputError
from entitylink.files import atomic_file, rename_noreplace, write_failure


def test_rename_noreplace(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with pytest.raises(FileExistsError):
        rename_noreplace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_text() == "b"
    rename_noreplace(tmp_path / "a", tmp_path / "c")
    assert (tmp_path / "c").read_text() == "a" and not (tmp_path / "a").exists()


def test_atomic_file_rules(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    with atomic_file(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.jsonl.")
        tmp.write_text("one\n")
    assert target.read_text() == "one\n"
    assert oct(target.stat().st_mode & 0o777) != "0o600"  # an ordinary file, not mkstemp's
    with pytest.raises(IndexExistsError, match="exists; pass --overwrite"):
        with atomic_file(target, overwrite=False):
            pass
    with atomic_file(target, overwrite=True) as tmp:
        tmp.write_text("two\n")
    assert target.read_text() == "two\n"
    with pytest.raises(ZeroDivisionError):
        with atomic_file(target) as tmp:
            tmp.write_text("half")
            raise ZeroDivisionError
    assert target.read_text() == "two\n"
    with pytest.raises(OutputError, match="is a directory"):
        with atomic_file(tmp_path):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_write_failures_are_recognised(tmp_path: Path) -> None:
    import sqlite3

    assert write_failure(OSError(28, "No space left on device")) == "no space left on device"
    assert write_failure(sqlite3.OperationalError("database or disk is full")) == (
        "no space left on device"
    )
    wrapped = RuntimeError("x")
    wrapped.__cause__ = OSError(13, "Permission denied")
    assert write_failure(wrapped) == "permission denied"
    reading = FileNotFoundError(2, "No such file", str(tmp_path / "vocab.tsv"))
    assert write_failure(reading, inside=tmp_path / "build") is None  # an input, not a write
    assert write_failure(ValueError("bad")) is None
