from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from entitylink import ConceptIndex
from entitylink.cli import main
from tests.paths import SAMPLES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_build_link_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "idx"
    code, _, err = run(capsys, "build-index", str(SAMPLES / "vocab.tsv"), "--out", str(out))
    assert code == 0, err
    assert "built" in err and "20 concepts" in err
    code, stdout, _ = run(
        capsys, "link", "--index", str(out), "asthma", "-k", "2", "--format", "jsonl"
    )
    assert code == 0
    (line,) = stdout.splitlines()
    record = json.loads(line)
    assert record["mention"] == "asthma" and len(record["candidates"]) == 2
    assert record["candidates"][0]["name"] == "asthma"
    assert set(record["candidates"][0]) == {"concept_id", "name", "matched_name", "score", "types"}
    mapped = run(
        capsys, "link", "--index", str(out), "asthma", "-k", "2", "--format", "jsonl", "--mmap"
    )
    assert mapped == (0, stdout, mapped[2])  # memory-mapped: the same answer
    code, stdout, _ = run(capsys, "info", str(out))
    assert code == 0 and json.loads(stdout)["counts"]["concepts"] == 20


def test_link_table_from_file_and_stdin(
    sample_index: ConceptIndex,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mentions = tmp_path / "m.txt"
    mentions.write_text("heart attack\n\nSunitinib\n")
    code, stdout, _ = run(
        capsys, "link", "--index", str(sample_index.path), "--input", str(mentions)
    )
    assert code == 0
    assert re.search(
        r"1\. C0027051\t(1\.0000|0\.99\d\d)\tmyocardial infarction  \[via 'heart", stdout
    )
    assert "(no candidate)" in stdout  # the blank line
    monkeypatch.setattr(sys, "stdin", io.StringIO("asthma\n"))
    code, stdout, _ = run(capsys, "link", "--index", str(sample_index.path), "--format", "jsonl")
    assert code == 0 and json.loads(stdout)["candidates"][0]["name"] == "asthma"


def test_link_output_file(
    sample_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.jsonl"
    argv = ["link", "--index", str(sample_index.path), "fever", "--output", str(target)]
    code, stdout, _ = run(capsys, *argv, "--format", "jsonl")
    assert code == 0 and stdout == ""
    assert json.loads(target.read_text())["mention"] == "fever"
    assert not target.with_name("out.jsonl.partial").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["info", "/no/such/index"], "error: /no/such/index: not an index directory"),
        (["build-index", "/no/such.tsv", "--out", "x"], "error: /no/such.tsv: no such file"),
        (
            ["build-index", str(SAMPLES / "vocab.tsv"), "--out", "x", "--model", "/no/model"],
            "error: encoder model directory '/no/model' does not exist",
        ),
        (
            ["build-index", str(SAMPLES / "vocab.tsv"), "--out", "x", "--sab", "MSH"],
            "error: format 'tsv' takes no option sabs",
        ),
    ],
)
def test_user_errors_exit_1_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith(message)
    assert "Traceback" not in err and err.count("\n") == 1


def test_existing_index_needs_overwrite(
    sample_index: ConceptIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["build-index", str(SAMPLES / "vocab.tsv"), "--out", str(sample_index.path)]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "exists; pass overwrite=True (--overwrite)" in err


def test_bad_vocabulary_line_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vocab = tmp_path / "v.tsv"
    vocab.write_text("concept_id\tname\nC1\tasthma\nC2\t\n")
    code, _, err = run(capsys, "build-index", str(vocab), "--out", str(tmp_path / "i"))
    assert code == 1 and f"{vocab}:3: empty concept_id or name" in err
    code, _, err = run(
        capsys, "build-index", str(vocab), "--out", str(tmp_path / "i"), "--no-strict", "-q"
    )
    assert code == 0 and "skipped 1 bad line" in err


@pytest.mark.parametrize(
    "argv",
    [[], ["link"], ["link", "--index", "x", "-k", "0", "a"], ["frobnicate"], ["build-index"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2


def test_k_0_is_a_usage_error_of_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["link", "--index", "x", "-k", "0", "fever"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.startswith("usage: entitylink link ")  # the subcommand's usage, not the top
    assert "error: argument -k: must be at least 1, got 0" in err


def test_link_input_that_is_not_utf8_names_file_and_line(
    sample_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mentions = tmp_path / "m.txt"
    mentions.write_bytes(b"fever\nfi\xe8vre\n")
    code, _, err = run(capsys, "link", "--index", str(sample_index.path), "--input", str(mentions))
    assert code == 1 and err.startswith(f"error: {mentions}:2: undecodable bytes (not UTF-8)")
    assert "Traceback" not in err and err.count("\n") == 1


def test_deprecated_build_options_still_work_and_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "idx"
    vocab = str(SAMPLES / "vocab.tsv")
    code, _, err = run(capsys, "build-index", vocab, "--out", str(out), "--index", "HNSW16")
    assert code == 0, err
    assert "build-index: --index is deprecated and will be removed; use --spec" in err
    assert ConceptIndex.load(out).manifest.index["spec"] == "HNSW16"
    argv = ["build-index", vocab, "--out", str(out), "--overwrite", "--format", "tsv"]
    code, _, err = run(capsys, *argv)
    assert code == 0 and "--format is deprecated and will be removed; use --vocab-format" in err
    code, _, err = run(capsys, *argv[:-2], "--vocab-format", "tsv")
    assert code == 0 and "is deprecated" not in err


def test_help_imports_no_heavy_library() -> None:
    """``--help`` of every command answers before torch, transformers, FAISS or pandas load."""
    script = (
        "import sys, time\n"
        "from entitylink.cli import main\n"
        "for argv in ([], ['build-index'], ['reindex'], ['link'], ['evaluate'], ['report'],\n"
        "             ['train'], ['info'], ['annotate'], ['serve']):\n"
        "    try:\n"
        "        main([*argv, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = {'torch', 'transformers', 'faiss', 'pandas', 'sqlalchemy', 'numpy', 'spacy',\n"
        "         'ahocorasick', 'bioc', 'fastapi', 'starlette', 'uvicorn', 'prometheus_client'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == "[]"


@pytest.mark.parametrize(
    "command", ["build-index", "reindex", "link", "info", "train", "annotate", "serve"]
)
def test_help_explains_with_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert f"entitylink {command}" in capsys.readouterr().out


def test_python_dash_m_and_console_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "entitylink", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "build-index" in result.stdout


def test_evaluate_end_to_end_on_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, errors = tmp_path / "r" / "sample", tmp_path / "misses.jsonl"
    common = [
        "--benchmark",
        str(SAMPLES / "benchmark.pubtator"),
        "--vocab",
        str(SAMPLES / "MRCONSO.RRF"),
    ]
    argv = ["evaluate", *common, "--out", str(out), "--errors", str(errors)]
    code, _, err = run(capsys, *argv, "--cache-dir", str(tmp_path / "cache"))
    assert code == 0, err
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["system"] == "sentence-transformers/all-MiniLM-L6-v2 (onnx) (int8-block)"
    assert report["counts"]["queries"] == 21 and report["metrics"]["acc@1"] >= 0.8
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert (
        "| sapbert | sentence-transformers/all-MiniLM-L6-v2 (onnx) (int8-block) |"
        in out.with_suffix(".md").read_text()
    )
    misses = [json.loads(line) for line in errors.read_text().splitlines()]
    assert len(misses) == report["counts"]["queries"] - report["counts"]["hits@1"]
    # the cached dictionary index is reused
    code, _, err = run(capsys, *argv, "--cache-dir", str(tmp_path / "cache"))
    assert code == 1 and err == f"error: {out}.json exists; pass --overwrite to replace it\n"
    code, _, err = run(capsys, *argv, "--cache-dir", str(tmp_path / "cache"), "--overwrite")
    assert code == 0 and "reusing the dictionary index" in err
    baseline = tmp_path / "exact"
    code, _, _ = run(capsys, "evaluate", *common, "--baseline", "exact", "--out", str(baseline))
    assert code == 0
    code, stdout, _ = run(
        capsys,
        "report",
        str(out.with_suffix(".json")),
        str(baseline.with_suffix(".json")),
        "--plot",
        str(tmp_path / "both.png"),
    )
    assert code == 0 and "exact match" in stdout and (tmp_path / "both.png").exists()


def test_build_index_auto_spec_and_speed_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "auto"
    argv = ["build-index", str(SAMPLES / "vocab.tsv"), "--out", str(out), "--index", "auto"]
    code, _, err = run(capsys, *argv, "--memory-budget", "1GB", "--dtype", "bfloat16")
    assert code == 0, err
    manifest = ConceptIndex.load(out).manifest
    assert manifest.index["spec"] == "Flat" and manifest.index["chosen_by"] == "auto"
    assert manifest.encoder["dtype"] == "bfloat16" and "quantize" not in manifest.encoder
    code, _, err = run(capsys, *argv[:-1], "Flat", "--memory-budget", "1GB", "--overwrite")
    assert code == 1 and "--memory-budget applies to --spec auto only" in err
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--memory-budget", "lots"])
    assert exit_info.value.code == 2 and "write e.g. 4GB" in capsys.readouterr().err


def test_reindex(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flat, hnsw = tmp_path / "flat", tmp_path / "hnsw"
    code, _, err = run(capsys, "build-index", str(SAMPLES / "vocab.tsv"), "--out", str(flat))
    assert code == 0, err
    argv = ["reindex", str(flat), "--out", str(hnsw), "--spec", "HNSW16"]
    code, _, err = run(capsys, *argv, "--search-param", "efSearch=32")
    assert code == 0 and "HNSW16" in err, err
    assert ConceptIndex.load(hnsw).manifest.index["search_params"] == {"efSearch": 32}
    code, stdout, _ = run(capsys, "link", "--index", str(hnsw), "asthma", "--format", "jsonl")
    assert code == 0 and json.loads(stdout)["candidates"][0]["name"] == "asthma"
    code, _, err = run(capsys, *argv, "--memory-budget", "1GB", "--overwrite")
    assert code == 1 and "--memory-budget applies to --spec auto only" in err
    code, _, err = run(capsys, "reindex", str(hnsw), "--out", str(tmp_path / "x"))
    assert code == 1 and "keeps approximate vectors" in err


@pytest.mark.parametrize("what", ["directory", "file"])
def test_overwrite_never_replaces_user_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    out = tmp_path / "results"
    if what == "directory":
        out.mkdir()
        (out / "paper.docx").write_bytes(b"work")
    else:
        out.write_bytes(b"work")
    argv = ["build-index", str(SAMPLES / "vocab.tsv"), "--out", str(out), "--overwrite", "-q"]
    code, _, err = run(capsys, *argv)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    kind = (
        "a directory of 1 entry that is not an index (no manifest.json)"
        if what == "directory"
        else "a file"
    )
    assert err.startswith(f"error: {out} is {kind}; --overwrite replaces only an entitylink index")
    assert (out / "paper.docx" if what == "directory" else out).read_bytes() == b"work"
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_verify_command_and_link_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "idx"
    assert run(capsys, "build-index", str(SAMPLES / "vocab.tsv"), "--out", str(out), "-q")[0] == 0
    code, stdout, _ = run(capsys, "verify", str(out))
    assert code == 0
    assert stdout == f"{out}: ok (concepts.sqlite, vectors.faiss match the manifest's checksums)\n"
    vectors = out / "vectors.faiss"
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0x80
    vectors.write_bytes(bytes(data))
    code, _, err = run(capsys, "verify", str(out))
    assert code == 1 and err == (
        f"error: {vectors}: content differs from the manifest's checksum (corrupt or altered "
        "since the build; sizes match): rebuild the index\n"
    )
    code, _, err = run(capsys, "link", "--index", str(out), "--verify", "asthma")
    assert code == 1 and err.startswith(f"error: {vectors}: content differs")
    assert run(capsys, "link", "--index", str(out), "asthma")[0] == 0  # sizes only: loads
