"""scripts/bench_cli.py: whole ``entitylink`` processes timed per flag variant (keys and sanity,
never timings)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from entitylink import ConceptIndex
from tests.paths import SAMPLES
from tests.test_scripts_bench import script


def test_bench_cli_link_default_beside_torch(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.json"
    argv = ["--index", str(tiny_index.path), "--runs", "2", "--warmup", "0", "--out", str(out)]
    result = script("bench_cli").main(argv)
    printed = capsys.readouterr()
    assert json.loads(out.read_text()) == result
    assert result["task"] == "link" and result["mentions"] == ["heart attack"]
    assert [v["name"] for v in result["variants"]] == ["default", "torch"]
    default, torch = result["variants"]
    assert default["flags"] == [] and torch["flags"] == ["--backend", "torch"]
    assert default["command"] == shlex.join(
        [sys.executable, "-m", "entitylink", "link", "--index", str(tiny_index.path)]
        + ["heart attack"]
    )
    for row in result["variants"]:
        assert len(row["wall_s_all"]) == len(row["peak_rss_mb_all"]) == 2
        assert min(row["wall_s_all"]) <= row["median_wall_s"] <= max(row["wall_s_all"])
        assert row["median_wall_s"] > 0 and row["median_cpu_s"] > 0
        assert 20 < row["median_peak_rss_mb"] < 4096  # the child's, in MB (not KiB, not ours)
    assert "| default | (none) |" in printed.out and "| torch | `--backend torch` |" in printed.out
    assert "-m entitylink link --index" in printed.err  # the commands, as run


def test_bench_cli_annotate_and_variants(
    tiny_index: ConceptIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--index", str(tiny_index.path), "--annotate", str(SAMPLES / "benchmark.pubtator")]
    argv += ["--runs", "1", "--warmup", "0", "--variant", "one=--threads 1"]
    result = script("bench_cli").main(argv)
    capsys.readouterr()
    assert result["task"] == "annotate" and result["input"].endswith("benchmark.pubtator")
    (row,) = result["variants"]
    assert row["name"] == "one" and row["flags"] == ["--threads", "1"]
    assert " annotate --index " in row["command"] and row["median_peak_rss_mb"] > 0


def test_bench_cli_a_failing_run_stops_with_its_stderr(tiny_index: ConceptIndex) -> None:
    argv = ["--index", str(tiny_index.path), "--runs", "1", "--warmup", "0"]
    with pytest.raises(RuntimeError, match="exit status 2.*--no-such-flag"):
        script("bench_cli").main([*argv, "--variant", "bad=--no-such-flag"])


def test_bench_cli_rejects_bad_variants(tiny_index: ConceptIndex) -> None:
    bench_cli = script("bench_cli")
    with pytest.raises(SystemExit):
        bench_cli.main(["--index", str(tiny_index.path), "--variant", "no-equals-sign"])
    with pytest.raises(SystemExit):
        bench_cli.main(["--index", "x", "--variant", "a=", "--variant", "a=--backend torch"])
    assert bench_cli.variant("t=--backend torch --mode 'dense'") == (
        "t",
        ["--backend", "torch", "--mode", "dense"],
    )
