"""``entitylink link`` on input it must not take whole: endless lines, overlong mentions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from entitylink import ConceptIndex
from entitylink.cli import main
from entitylink.lines import MENTION_CHARS

# Run through a small Python process: a child forked from pytest itself would start with
# pytest's RSS (torch and all) as its peak, since ``ru_maxrss`` survives ``execve``.
_MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss * 1024, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss(argv: list[str], timeout: float = 120) -> tuple[int, str, int]:
    """Run ``argv``: its exit status, stderr, and peak RSS in bytes (``wait4``)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True, timeout=timeout
    )
    err, _, rss = done.stderr.rstrip("\n").rpartition("\n")
    return done.returncode, err + "\n" if err else "", int(rss)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_link_input_dev_zero_is_one_error_line_in_bounded_memory(
    tiny_index: ConceptIndex,
) -> None:
    argv = [sys.executable, "-m", "entitylink", "link", "--index", str(tiny_index.path)]
    code, err, rss = peak_rss([*argv, "--input", "/dev/zero"])
    assert code == 1
    assert (
        err == "error: /dev/zero:1: a line longer than 1 MiB; split the input into lines "
        "(one mention, or one document, per line)\n"
    )
    assert rss < 200 * 2**20, f"peak RSS {rss / 2**20:.0f} MiB"


def test_a_long_line_is_an_error_and_a_long_mention_is_cut(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mentions = tmp_path / "m.txt"
    mentions.write_bytes(b"fever\n" + b"a" * (2 << 20) + b"\n")
    argv = ["link", "--index", str(tiny_index.path), "--format", "jsonl"]
    assert main([*argv, "--input", str(mentions)]) == 1
    err = capsys.readouterr().err
    assert (
        err == f"error: {mentions}:2: a line longer than 1 MiB; split the input into lines "
        "(one mention, or one document, per line)\n"
    )
    mentions.write_text("fever\n" + "b" * 5000 + "\n")
    assert main([*argv, "--input", str(mentions)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1].startswith('{"mention": "' + "b" * MENTION_CHARS + '", ')
    assert f"cut 1 mentions longer than {MENTION_CHARS} characters" in err


def test_link_output_onto_its_input_is_refused_by_any_name(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mentions = tmp_path / "m.txt"
    mentions.write_text("fever\n")
    (tmp_path / "alias.txt").symlink_to(mentions)
    os.link(mentions, tmp_path / "hard.txt")
    argv = ["link", "--index", str(tiny_index.path), "--input", str(mentions), "--overwrite"]
    for name in ("m.txt", "alias.txt", "hard.txt"):
        output = tmp_path / name
        assert main([*argv, "--output", str(output)]) == 1
        err = capsys.readouterr().err
        assert (
            err == f"error: {output} is the input {mentions}: writing it would destroy the "
            "input; choose another output\n"
        )
    assert mentions.read_text() == "fever\n"
    table = tmp_path / "m.csv"
    table.write_text("mention\nfever\n")
    assert (
        main(
            [
                "link",
                "--index",
                str(tiny_index.path),
                "--input",
                str(table),
                "--output",
                str(table),
                "--overwrite",
            ]
        )
        == 1
    )
    assert "is the input" in capsys.readouterr().err and table.read_text() == "mention\nfever\n"


@pytest.mark.parametrize("name", ["out.txt", "out.csv"])
def test_link_replaces_an_existing_output_only_with_overwrite(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    source = tmp_path / ("m.csv" if name.endswith(".csv") else "m.txt")
    source.write_text("mention\nfever\n" if name.endswith(".csv") else "fever\n")
    output = tmp_path / name
    output.write_text("keep me\n")
    argv = [
        "link",
        "--index",
        str(tiny_index.path),
        "--input",
        str(source),
        "--output",
        str(output),
    ]
    assert main(argv) == 1
    assert capsys.readouterr().err == f"error: {output} exists; pass --overwrite to replace it\n"
    assert output.read_text() == "keep me\n"
    assert main([*argv, "--overwrite"]) == 0
    assert "fever" in output.read_text() and "keep me" not in output.read_text()


def test_link_output_onto_the_file_on_stdin_is_refused(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    mentions = tmp_path / "m.txt"
    mentions.write_text("fever\n")
    argv = ["link", "--index", str(tiny_index.path), "--output", str(mentions), "--overwrite"]
    with mentions.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "entitylink", *argv], stdin=stdin, capture_output=True, text=True
        )
    assert done.returncode == 1, done.stderr
    assert (
        done.stderr == f"error: {mentions} is the input stdin: writing it would destroy the "
        "input; choose another output\n"
    )
    assert mentions.read_text() == "fever\n"
