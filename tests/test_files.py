from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from entitylink import IndexExistsError
from entitylink.errors import OutputError
from entitylink.files import (
    atomic_file,
    atomic_files,
    exchange,
    refuse_inputs,
    rename_noreplace,
    write_failure,
)


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


def test_an_output_onto_an_input_is_refused_by_any_name(tmp_path: Path) -> None:
    source = tmp_path / "m.txt"
    source.write_text("fever\n")
    (tmp_path / "link.txt").symlink_to(source)
    os.link(source, tmp_path / "hard.txt")
    for name in ("m.txt", "link.txt", "hard.txt", "./m.txt"):
        message = f"{tmp_path / name} is the input {source}: writing it would destroy the input"
        with pytest.raises(OutputError, match=re.escape(message)):
            refuse_inputs([tmp_path / name], [source])
    with pytest.raises(OutputError, match="writing it would destroy the input"):
        refuse_inputs([source], [str(tmp_path / "link.txt")])  # the input named by a link
    other = tmp_path / "other.txt"
    other.write_text("fever\n")  # same content, another file
    refuse_inputs([other, tmp_path / "new.txt", None, Path("-")], [source, "-", None, "hub-name"])
    assert source.read_text() == "fever\n"


def test_exchange_swaps_two_directories_in_one_step(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "from-a").touch()
    if not exchange(first, second):
        pytest.skip("this OS or file system cannot exchange")
    assert [p.name for p in second.iterdir()] == ["from-a"] and not any(first.iterdir())
    with pytest.raises(OSError):
        exchange(first, tmp_path / "missing")


def test_atomic_files_write_all_or_none(tmp_path: Path) -> None:
    paths = [tmp_path / "rep.json", tmp_path / "rep.md", tmp_path / "rep.png"]
    with atomic_files(paths) as temporaries:
        for tmp in temporaries:
            tmp.write_text("new")
    assert [p.read_text() for p in paths] == ["new"] * 3
    with pytest.raises(IndexExistsError, match="rep.json exists; pass --overwrite"):
        with atomic_files(paths, overwrite=False):
            pass
    with pytest.raises(RuntimeError):  # a failure while writing: nothing replaced
        with atomic_files(paths, overwrite=True) as temporaries:
            temporaries[0].write_text("newer")
            raise RuntimeError
    paths[2].unlink()
    paths[2].mkdir()  # rep.png a directory: refused before a byte is written
    with pytest.raises(OutputError, match="rep.png is a directory"):
        with atomic_files(paths, overwrite=True) as temporaries:
            pytest.fail("reached the block")
    assert [p.read_text() for p in paths[:2]] == ["new"] * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep.json", "rep.md", "rep.png"]


def test_atomic_files_check_every_target_again_before_renaming(tmp_path: Path) -> None:
    paths = [tmp_path / "rep.json", tmp_path / "rep.png"]
    paths[0].write_text("old")
    with pytest.raises(OutputError, match="rep.png is a directory"):
        with atomic_files(paths, overwrite=True) as temporaries:
            for tmp in temporaries:
                tmp.write_text("new")
            paths[1].mkdir()  # appears while the report is written
    assert paths[0].read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep.json", "rep.png"]
