"""Crashes and concurrency, in real processes: builds killed at each stage, SIGTERM, two builds
into one place, several processes linking from one index, a read-only index directory."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from entitylink import (
    Concept,
    ConceptIndex,
    Encoder,
    IndexFormatError,
    Linker,
    build_index,
    read_vocabulary,
)
from entitylink.index.build import verify_index
from tests.mounts import read_only, tmpfs
from tests.paths import ROOT, SAMPLES

HARNESS = Path(__file__).with_name("stalled_build.py")
FEW = [Concept("C1", "asthma"), Concept("C2", "fever")]
MENTIONS = ["heart attack", "asthma", "fever", "Sunitinib", "diabetes type 2", ""]


def stalled_build(stage: str, out: Path, model: Path, *extra: str, go: str = "-") -> Any:
    argv = ["build-index", str(SAMPLES / "MRCONSO.RRF"), "--out", str(out)]
    return subprocess.Popen(
        [sys.executable, str(HARNESS), stage, go, *argv, "--model", str(model), "-q", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def wait_for_stage(process: subprocess.Popen[str], stage: str, timeout: float = 120) -> None:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=1):
            line = process.stdout.readline()
            if line.strip() == f"STAGE {stage}":
                return
            if not line:
                break
    process.kill()
    pytest.fail(f"the build never reached {stage}: {process.communicate(timeout=30)[1][-2000:]}")


def hidden(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith("."))


STAGES = ["sqlite", "encoding", "faiss-training", "faiss-write"]


def test_sigkill_at_each_stage_keeps_the_old_index_and_a_rerun_succeeds(
    tmp_path: Path, tiny_encoder: Encoder, tiny_model_dir: Path
) -> None:
    """One build per stage, run side by side (each process takes seconds to start)."""
    places = {stage: tmp_path / stage for stage in STAGES}
    processes = {}
    for stage, place in places.items():
        build_index(FEW, tiny_encoder, place / "idx", progress=False)  # the previous index
        spec = ["--spec", "IVF8,Flat"] if stage == "faiss-training" else []  # FAISS trains
        processes[stage] = stalled_build(stage, place / "idx", tiny_model_dir, "--overwrite", *spec)
    for stage, process in processes.items():
        wait_for_stage(process, stage)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    vocab = list(read_vocabulary(SAMPLES / "vocab.tsv"))
    for stage, place in places.items():
        out = place / "idx"
        assert ConceptIndex.load(out, verify=True).manifest.counts["concepts"] == 2, stage
        (leftover,) = hidden(place)
        assert leftover.name.startswith(f".idx.building-{processes[stage].pid}-")
        with pytest.raises(IndexFormatError, match="not an index directory"):
            ConceptIndex.load(leftover)
        build_index(vocab, tiny_encoder, out, overwrite=True, progress=False)
        assert verify_index(out).manifest.counts["concepts"] == 20
        assert [p.name for p in place.iterdir()] == ["idx"]  # the dead build's directory went


def test_sigkill_while_replacing_never_leaves_out_without_an_index(
    tmp_path: Path, tiny_encoder: Encoder, tiny_model_dir: Path
) -> None:
    """Killed just after the exchange, ``out`` is the new index; killed between moving the old
    one aside and the new one in (an OS without the exchange), the next build restores it."""
    places = {stage: tmp_path / stage for stage in ("exchanged", "aside")}
    processes = {}
    for stage, place in places.items():
        build_index(FEW, tiny_encoder, place / "idx", progress=False)
        processes[stage] = stalled_build(stage, place / "idx", tiny_model_dir, "--overwrite")
    for stage, process in processes.items():
        wait_for_stage(process, stage)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    exchanged, aside = places["exchanged"] / "idx", places["aside"] / "idx"
    assert ConceptIndex.load(exchanged, verify=True).manifest.counts["concepts"] == 300
    (leftover,) = hidden(places["exchanged"])  # the old index, under the build's hidden name
    assert leftover.name.startswith(f".idx.building-{processes['exchanged'].pid}-")
    assert not aside.exists()  # the window the exchange closes
    pid = processes["aside"].pid
    names = [p.name.rsplit("-", 1)[0] for p in hidden(places["aside"])]
    assert names == [f".idx.building-{pid}", f".idx.old-{pid}"]  # the new one, the old one
    for place in places.values():  # the next build: restores, then replaces
        argv = ["build-index", str(SAMPLES / "vocab.tsv"), "--out", str(place / "idx")]
        rerun = [*argv, "--model", str(tiny_model_dir), "-q"]
        done = subprocess.run(
            [sys.executable, "-m", "entitylink", *rerun], capture_output=True, text=True, cwd=ROOT
        )
        assert done.returncode == 1 and "exists; pass overwrite=True" in done.stderr, done.stderr
        assert [p.name for p in place.iterdir()] == ["idx"]
    assert ConceptIndex.load(aside, verify=True).manifest.counts["concepts"] == 2  # restored


def test_sigterm_cleans_up_like_ctrl_c(
    tmp_path: Path, tiny_encoder: Encoder, tiny_model_dir: Path
) -> None:
    out = tmp_path / "idx"
    build_index(FEW, tiny_encoder, out, progress=False)
    process = stalled_build("encoding", out, tiny_model_dir, "--overwrite")
    wait_for_stage(process, "encoding")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM and err.endswith("\nterminated\n")
    assert "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]
    assert ConceptIndex.load(out, verify=True).manifest.counts["concepts"] == 2


def test_two_builds_into_one_place(tmp_path: Path, tiny_model_dir: Path) -> None:
    """Both complete their builds, then move them into place at once: one wins, the other
    fails cleanly, and the index loads."""
    out, go = tmp_path / "idx", tmp_path / "go"
    builds = [stalled_build("rename", out, tiny_model_dir, go=str(go)) for _ in range(2)]
    for process in builds:
        wait_for_stage(process, "rename")
    go.touch()
    results = [(p.wait(timeout=120), p.communicate(timeout=30)[1]) for p in builds]
    assert sorted(code for code, _ in results) == [0, 1], results
    (err,) = [err for code, err in results if code == 1]
    assert err.count("error:") == 1 and "Traceback" not in err
    assert err.rstrip("\n").split("\n")[-1] == (
        f"error: {out} (an index) was created by another build while this one ran; this "
        "build was discarded (pass --overwrite to replace an index)"
    )
    assert verify_index(out).manifest.counts["concepts"] == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "idx"]


def test_several_processes_link_from_one_index_alike(tiny_index: ConceptIndex) -> None:
    command = [sys.executable, "-m", "entitylink", "link", "--index", str(tiny_index.path)]
    command += ["--format", "jsonl", "-k", "5", *MENTIONS]
    processes = [
        subprocess.Popen([*command, *extra], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for extra in ([], [], ["--mmap"])
    ]
    outputs = [p.communicate(timeout=180)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0]
    assert len(set(outputs)) == 1
    linker = Linker.from_dir(tiny_index.path, device="cpu")
    expected = [[c.concept_id for c in cs] for cs in linker.link(MENTIONS, k=5)]
    lines = [json.loads(line) for line in outputs[0].splitlines()]
    assert [[c["concept_id"] for c in line["candidates"]] for line in lines] == expected


def test_a_read_only_index_directory_links(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    import shutil

    expected = Linker.from_dir(tiny_index.path, device="cpu").link(MENTIONS, k=5)
    with tmpfs(tmp_path / "ro", size="4m") as place:
        shutil.copytree(tiny_index.path, place / "idx")
        read_only(place)
        with pytest.raises(OSError):  # even root cannot write there now
            (place / "idx" / "probe").write_text("x")
        for mmap in (False, True):
            linker = Linker.from_dir(place / "idx", device="cpu", mmap=mmap, verify=True)
            assert linker.link(MENTIONS, k=5) == expected
        assert sorted(os.listdir(place / "idx")) == sorted(os.listdir(tiny_index.path))
