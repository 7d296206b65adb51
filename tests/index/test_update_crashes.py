"""Updates and compactions killed (SIGKILL) at each stage, in real processes: the previous
generation stays in place, loadable and whole, and a rerun succeeds."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from entitylink import ConceptIndex
from entitylink.index.build import verify_index
from tests.index.test_concurrency import hidden, wait_for_stage
from tests.paths import ROOT, SAMPLES

HARNESS = Path(__file__).with_name("stalled_update.py")
STAGES = ["sqlite", "encoding", "faiss-write", "rename", "exchanged"]


def stalled(stage: str, argv: list[str]) -> Any:
    return subprocess.Popen(
        [sys.executable, str(HARNESS), stage, "-", *argv, "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def update_argv(path: Path, ids: Path) -> list[str]:
    return ["update", str(path), "--add", str(SAMPLES / "vocab.tsv"), "--remove", str(ids)]


def test_sigkill_at_each_stage_of_an_update_keeps_the_previous_generation(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    """One update per stage, side by side; then the kill; then each rerun."""
    ids = tmp_path / "ids.txt"
    ids.write_text("C0027051\n")
    processes = {}
    for stage in STAGES:
        path = tmp_path / stage / "idx"
        shutil.copytree(tiny_index.path, path)
        processes[stage] = stalled(stage, update_argv(path, ids))
    for stage, process in processes.items():
        wait_for_stage(process, stage)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    for stage in STAGES:
        path = tmp_path / stage / "idx"
        generation = verify_index(path).manifest.generation
        # killed before the exchange: the old generation; just after it: the new one, whole
        assert generation == (1 if stage == "exchanged" else 0), stage
        assert all(p.name.startswith(".idx.building-") for p in hidden(path.parent)), stage
    path = tmp_path / "sqlite" / "idx"
    rerun = subprocess.run(
        [sys.executable, "-m", "entitylink", *update_argv(path, ids), "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert verify_index(path).manifest.generation == 1
    assert hidden(path.parent) == []  # the killed update's directory was removed


def test_sigkill_while_compacting_keeps_the_previous_generation(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    path = tmp_path / "idx"
    shutil.copytree(tiny_index.path, path)
    ids = tmp_path / "ids.txt"
    ids.write_text("C0027051\n")
    assert (
        subprocess.run(
            [sys.executable, "-m", "entitylink", "update", str(path), "--remove", str(ids), "-q"],
            cwd=ROOT,
            check=False,
        ).returncode
        == 0
    )
    process = stalled("faiss-write", ["compact", str(path)])
    wait_for_stage(process, "faiss-write")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    index = verify_index(path)
    assert index.manifest.generation == 1 and index.manifest.counts["rows"] == 1658
