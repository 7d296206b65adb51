from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from entitylink.cli import main
from tests.paths import SAMPLES


def test_train_then_build_and_link_with_the_trained_model(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model"
    argv = ["train", str(SAMPLES / "MRCONSO.RRF"), "--model", str(tiny_model_dir)]
    argv += ["--out", str(model), "--max-steps", "2", "--batch-size", "8", "-q"]
    assert main(argv) == 0, capsys.readouterr().err
    settings = json.loads((model / "entitylink_encoder.json").read_text())
    assert settings["training"]["steps"] == 2
    assert settings["training"]["data"]["vocabulary_pairs"] > 0
    (sha,) = settings["training"]["data"]["vocabularies"].values()
    assert len(sha) == 64
    assert main(argv) == 1  # the output exists: --resume or --overwrite needed
    assert "--resume" in capsys.readouterr().err
    longer = [a if a != "2" else "4" for a in argv]
    assert main([*longer, "--resume"]) == 0  # extend the training to 4 steps
    assert json.loads((model / "entitylink_encoder.json").read_text())["training"]["steps"] == 4
    index = tmp_path / "index"
    build = ["build-index", str(SAMPLES / "vocab.tsv"), "--model", str(model), "--out", str(index)]
    assert main(build) == 0
    capsys.readouterr()
    assert main(["link", "--index", str(index), "asthma", "-k", "1", "--format", "jsonl"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert len(json.loads(line)["candidates"]) == 1  # a random tiny BERT: any concept will do


def test_train_help_names_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for option in ("--max-minutes", "--resume", "--add-benchmark-train", "--bf16", "--device"):
        assert option in text


@pytest.mark.parametrize(("given", "expected"), [([], 1e-5), (["--lr", "3e-5"], 3e-5)])
def test_biosyn_takes_lr_and_defaults_to_biosyn_s(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: list[str], expected: float
) -> None:
    from entitylink.cli import train as cli_train
    from entitylink.training import biosyn

    seen: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def fake_train(*args: object, **kwargs: object) -> None:
        seen["config"] = args[3]
        raise Stop

    monkeypatch.setattr(biosyn, "biosyn_data", lambda benchmark, splits: ([], ()))
    monkeypatch.setattr(biosyn, "train_biosyn", fake_train)
    monkeypatch.setattr(cli_train, "_base_vectors", lambda args, dictionary: None)
    argv = ["train", "--objective", "biosyn", "--benchmark", "ncbi-disease"]
    with pytest.raises(Stop):
        main([*argv, "--out", str(tmp_path / "m"), *given])
    assert seen["config"].learning_rate == expected


def test_train_ner_refuses_an_occupied_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.paths import shared_path

    shared_path("benchmarks", "ncbi-disease")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["train-ner", "--benchmark", "ncbi-disease", "--out", str(tmp_path)]) == 1
    assert "not a model written by entitylink train" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    with pytest.raises(SystemExit):
        main(["train-ner", "--benchmark", "ncbi-disease-test", "--out", str(tmp_path)])
