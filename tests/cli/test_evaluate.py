"""``entitylink evaluate`` and ``report``: their files are written all or none, never over an
existing one without ``--overwrite``, never onto an input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entitylink.cli import main
from tests.paths import SAMPLES

BASELINE = [
    "evaluate",
    "--benchmark",
    str(SAMPLES / "benchmark.pubtator"),
    "--vocab",
    str(SAMPLES / "MRCONSO.RRF"),
    "--baseline",
    "exact",
]


def test_a_directory_in_the_way_leaves_every_old_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "rep"
    assert main([*BASELINE, "--out", str(out)]) == 0
    old = {p.name: p.read_bytes() for p in out.parent.iterdir()}
    assert sorted(old) == ["rep.json", "rep.md", "rep.png"]
    (out.parent / "rep.png").unlink()
    (out.parent / "rep.png").mkdir()
    capsys.readouterr()
    assert main([*BASELINE, "--out", str(out), "--overwrite"]) == 1
    assert capsys.readouterr().err == (
        f"error: {out}.png is a directory; give a file name to write\n"
    )
    assert (out.parent / "rep.json").read_bytes() == old["rep.json"]
    assert (out.parent / "rep.md").read_bytes() == old["rep.md"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["rep.json", "rep.md", "rep.png"]


def test_evaluate_and_report_overwrite_only_when_asked_and_never_an_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rep"
    assert main([*BASELINE, "--out", str(out)]) == 0
    first = json.loads((tmp_path / "rep.json").read_text())["created_at"]
    capsys.readouterr()
    assert main([*BASELINE, "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"error: {out}.json exists; pass --overwrite to replace it\n"
    assert main([*BASELINE, "--out", str(out), "--overwrite"]) == 0
    assert json.loads((tmp_path / "rep.json").read_text())["created_at"] >= first
    report = tmp_path / "rep.json"
    before = report.read_bytes()
    capsys.readouterr()
    assert main(["report", str(report), "--markdown", str(report), "--overwrite"]) == 1
    assert "is the input" in capsys.readouterr().err and report.read_bytes() == before
    table = tmp_path / "table.md"
    assert main(["report", str(report), "--markdown", str(table)]) == 0
    assert main(["report", str(report), "--markdown", str(table)]) == 1
    assert main(["report", str(report), "--markdown", str(table), "--overwrite"]) == 0


def test_documents_task_scores_a_token_classifier_beside_the_dictionary(
    tmp_path: Path, tiny_index: object, tiny_tagger_dir: Path
) -> None:
    """Rows (d) and (e) are added; (d) counts the detector's Disease spans on the test split
    against every gold span."""
    from entitylink.evaluation.benchmarks import load_benchmark
    from entitylink.linking.model_detector import ModelDetector
    from tests.paths import shared_path

    shared_path("benchmarks", "ncbi-disease")
    out = tmp_path / "docs"
    argv = ["evaluate", "--task", "documents", "--benchmark", "ncbi-disease"]
    argv += ["--index", str(tiny_index.path), "--out", str(out)]  # type: ignore[attr-defined]
    assert (
        main([*argv, "--detector", f"model:{tiny_tagger_dir}", "--type-map", "Disease=T047"]) == 0
    )
    report = json.loads(out.with_suffix(".json").read_text())
    systems = report["systems"]
    assert list(systems)[3:] == ["d. detector spans alone (any ID)", "e. detector + linker"]
    test = load_benchmark("ncbi-disease", "test")
    found = ModelDetector(tiny_tagger_dir, types={"Disease"}).detect_many(
        list(test.documents.values())
    )
    alone = systems["d. detector spans alone (any ID)"]["mention"]
    assert alone["tp"] + alone["fp"] == len(
        {(d, s, e) for d, f in zip(test.documents, found, strict=True) for s, e, _ in f}
    )
    assert alone["tp"] + alone["fn"] == len({(m.doc_id, m.start, m.end) for m in test.mentions})
    assert systems["d. detector spans alone (any ID)"]["document"] is None
    assert "| d. detector spans alone (any ID) |" in out.with_suffix(".md").read_text()
    alone_only = tmp_path / "alone"
    argv = ["evaluate", "--task", "documents", "--benchmark", "ncbi-disease", "--split", "dev"]
    assert main([*argv, "--detector", f"model:{tiny_tagger_dir}", "--out", str(alone_only)]) == 0
    only = json.loads(alone_only.with_suffix(".json").read_text())
    assert list(only["systems"]) == ["d. detector spans alone (any ID)"] and only["index"] is None
