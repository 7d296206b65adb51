from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from entitylink import ConceptIndex
from entitylink.cli import main
from tests.paths import SAMPLES


def test_annotate_pubtator_to_pubtator_and_jsonl(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.pubtator"
    argv = [
        "annotate",
        "--index",
        str(tiny_index.path),
        "--input",
        str(SAMPLES / "benchmark.pubtator"),
    ]
    assert main([*argv, "--output", str(out), "--threshold", "-1"]) == 0
    text = out.read_text()
    assert "90000001|t|Myocardial infarction (MI)" in text
    assert "90000001\t0\t21\tMyocardial infarction\t" in text
    assert not list(tmp_path.glob("*.partial*"))
    assert main([*argv, "--detector", "given", "--output", "-", "--threshold", "-1"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[0]["id"] == "90000001"
    assert [s["label"] for s in records[0]["spans"]][:1] == ["Disease"]


def test_annotate_stdin_and_bad_input(
    tiny_index: ConceptIndex,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = b"a heart attack\nbad \xff\nmyocardial infarction\n"
    argv = ["annotate", "--index", str(tiny_index.path), "--input", "-", "--threshold", "-1"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(argv) == 1
    assert "-:2: undecodable bytes" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main([*argv, "--no-strict"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["1", "3"]
    assert "skipped 1 bad lines" in err
    bad = tmp_path / "bad.pubtator"
    bad.write_text("1|t|A heart attack.\n1|a|\n1\t3\t9\theart attack\tDisease\tX\n")
    output = tmp_path / "out.jsonl"
    assert main([*argv[:3], "--input", str(bad), "--output", str(output)]) == 1
    assert f"{bad}:3: offsets 3-9" in capsys.readouterr().err
    assert not output.exists() and not list(tmp_path.glob("*.partial*"))


def test_a_long_document_is_annotated_in_windows_with_the_same_output(
    tiny_index: ConceptIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entitylink.linking import windows

    sentence = "Myocardial infarction (MI) in type 2 diabetes. Later MI, a heart attack. "
    documents = tmp_path / "docs.txt"
    documents.write_text("a heart attack\n" + sentence * 40 + "\nbreast cancer\n")
    argv = ["annotate", "--index", str(tiny_index.path), "--input", str(documents)]
    original, windowed_ids = windows.annotate_long, []

    def small_windows(*args: Any, **kwargs: Any) -> Any:
        windowed_ids.append(args[2])
        return original(*args, size=200, overlap=50, **kwargs)

    for fmt in ("jsonl", "pubtator"):
        whole, windowed = tmp_path / f"whole.{fmt}", tmp_path / f"windowed.{fmt}"
        assert main([*argv, "--output", str(whole), "--threshold", "-1"]) == 0
        with monkeypatch.context() as patch:
            patch.setattr(windows, "WINDOW_CHARS", 200)
            patch.setattr(windows, "annotate_long", small_windows)
            assert main([*argv, "--output", str(windowed), "--threshold", "-1"]) == 0
        assert shape(windowed, fmt) == shape(whole, fmt)  # candidates tied at equal scores
        assert "MI" in whole.read_text()  # may come in another order from another batch
    assert windowed_ids == ["2", "2"]  # only the long document, once per format


def test_annotate_never_writes_onto_its_input_and_overwrites_only_when_asked(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("a heart attack\n")
    (tmp_path / "same.txt").symlink_to(doc)
    argv = ["annotate", "--index", str(tiny_index.path), "--input", str(doc), "--overwrite"]
    for output in (doc, tmp_path / "same.txt"):
        assert main([*argv, "--output", str(output), "--output-format", "jsonl"]) == 1
        err = capsys.readouterr().err
        assert (
            err == f"error: {output} is the input {doc}: writing it would destroy the "
            "input; choose another output\n"
        )
    assert doc.read_text() == "a heart attack\n"
    output = tmp_path / "out.jsonl"
    output.write_text("keep me\n")
    assert main(argv[:-1] + ["--output", str(output)]) == 1
    assert capsys.readouterr().err == f"error: {output} exists; pass --overwrite to replace it\n"
    assert output.read_text() == "keep me\n"
    assert main([*argv, "--output", str(output), "--threshold", "-1"]) == 0
    assert json.loads(output.read_text())["text"] == "a heart attack"


def shape(path: Path, fmt: str) -> list[Any]:
    """The documents and spans of an output, each span's candidates only counted."""
    if fmt == "pubtator":
        return [line.split("\t")[:5] for line in path.read_text().splitlines()]
    documents = [json.loads(line) for line in path.read_text().splitlines()]
    for document in documents:
        for span in document["spans"]:
            span["candidates"] = len(span["candidates"])
    return documents


def test_annotate_with_a_token_classifier(
    tiny_index: ConceptIndex,
    tiny_tagger_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from entitylink.linking.formats import read_documents
    from entitylink.linking.model_detector import ModelDetector

    argv = [
        "annotate",
        "--index",
        str(tiny_index.path),
        "--input",
        str(SAMPLES / "benchmark.pubtator"),
    ]
    model = ["--detector", f"model:{tiny_tagger_dir}", "--output", "-"]
    assert main([*argv, *model]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with (SAMPLES / "benchmark.pubtator").open("rb") as source:
        texts = [d.text for d in read_documents(source, "pubtator", "benchmark.pubtator")]
    expected = ModelDetector(tiny_tagger_dir).detect_many(texts)  # int8-block, as the CLI
    found = [
        [(s["start"], s["end"], s["label"]) for s in r["spans"] if s["source"] == "detector"]
        for r in records
    ]
    assert found == [[tuple(s) for s in spans] for spans in expected]
    assert any(found) and all(
        r["text"][s["start"] : s["end"]] == s["text"] for r in records for s in r["spans"]
    )
    assert main([*argv, *model, "--span-type", "Disease", "--type-map", "Disease=T047"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    spans = [s for r in records for s in r["spans"]]
    assert {s["label"] for s in spans} <= {"Disease"}
    assert all(c["types"] == ["T047"] for s in spans for c in s["candidates"])
    missing = ["--detector", f"model:{tmp_path / 'absent'}", "--output", "-"]
    assert main([*argv, *missing]) == 1
    assert "no such directory" in capsys.readouterr().err
    assert main([*argv, *model, "--type-map", "Disease"]) == 1
    assert "LABEL=TYPE" in capsys.readouterr().err
