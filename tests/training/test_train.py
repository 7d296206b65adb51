from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertModel, BertTokenizerFast

from entitylink import Encoder, TrainingConfig, TrainingError, make_pairs, read_vocabulary, train
from entitylink.training.pairs import Pair
from entitylink.training.train import batch_order
from tests.paths import SAMPLES


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny BERT with widely spread initial weights: its names do not all start alike."""
    directory = tmp_path_factory.mktemp("spread-bert")
    BertTokenizerFast.from_pretrained(tiny_model_dir).save_pretrained(directory)
    torch.manual_seed(0)
    config = BertConfig.from_pretrained(tiny_model_dir, initializer_range=1.0)
    BertModel(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    concepts = list(read_vocabulary(SAMPLES / "MRCONSO.RRF"))
    first_of_each = {p.label: p for p in make_pairs(concepts, seed=0)}  # 16 concepts, 2 names
    return list(first_of_each.values())[:16]


def config(model: Path, **changes: object) -> TrainingConfig:
    settings: dict[str, object] = {
        "base_model": str(model),
        "pooling": "mean",
        "batch_size": 16,
        "learning_rate": 5e-3,
        "dropout": False,
        "device": "cpu",
        "log_every": 1,
        "save_every": 2,
    }
    return TrainingConfig(**{**settings, **changes})  # type: ignore[arg-type]


def test_batch_order_covers_each_epoch_once_and_replays() -> None:
    batches = [batch_order(10, 4, step, seed=3) for step in range(3)]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert batch_order(10, 4, 1, seed=3).tolist() == batches[1].tolist()
    assert batch_order(10, 4, 3, seed=3).tolist() != batches[0].tolist()  # next epoch reshuffles


def test_training_lowers_the_loss_and_changes_the_weights(
    model: Path, pairs: list[Pair], tmp_path: Path
) -> None:
    # one batch holds every pair, so each step's loss is over the same names
    result = train(pairs, tmp_path / "m", config(model, max_steps=12), progress=False)
    assert result.steps == 12 and result.stopped == "finished"
    assert result.first_loss is not None and result.last_loss is not None
    assert result.last_loss < 0.95 * result.first_loss
    before = load_file(model / "model.safetensors")
    after = load_file(tmp_path / "m" / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before if k in after)
    rows = [
        json.loads(line) for line in (tmp_path / "m" / "train_log.jsonl").read_text().splitlines()
    ]
    assert [r["step"] for r in rows] == list(range(1, 13))
    assert (tmp_path / "m" / "loss.png").stat().st_size > 0


def test_the_model_directory_loads_and_encodes_like_the_trained_model(
    model: Path, pairs: list[Pair], tmp_path: Path
) -> None:
    out = tmp_path / "m"
    train(pairs, out, config(model, max_steps=2), data={"v": "abc"}, progress=False)
    settings = json.loads((out / "entitylink_encoder.json").read_text())
    assert settings["pooling"] == "mean" and settings["max_length"] == 25
    assert settings["base_model"] == str(model)
    assert settings["training"]["data"] == {"v": "abc"} and settings["training"]["steps"] == 2
    names = ["heart attack", "asthma", "breast cancer"]
    loaded = Encoder(str(out), device="cpu")
    assert loaded.pooling == "mean"
    saved = tmp_path / "again"
    loaded.save(saved)
    np.testing.assert_array_equal(loaded.encode(names), Encoder(str(saved)).encode(names))
    assert not np.allclose(loaded.encode(names), Encoder(str(model)).encode(names))


def test_resume_continues_where_it_stopped(model: Path, pairs: list[Pair], tmp_path: Path) -> None:
    straight = tmp_path / "straight"
    train(pairs, straight, config(model, max_steps=6), progress=False)
    resumed = tmp_path / "resumed"
    first = train(pairs, resumed, config(model, max_steps=3), progress=False)
    assert first.steps == 3
    second = train(pairs, resumed, config(model, max_steps=6), resume=True, progress=False)
    assert second.steps == 6 and second.pairs_seen == 6 * 16
    rows = [json.loads(line) for line in (resumed / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, 7))
    a = load_file(straight / "model.safetensors")
    b = load_file(resumed / "model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)


def test_refuses_an_occupied_output_and_a_mismatched_checkpoint(
    model: Path, pairs: list[Pair], tmp_path: Path
) -> None:
    out = tmp_path / "m"
    train(pairs, out, config(model, max_steps=1), progress=False)
    with pytest.raises(TrainingError, match="--resume"):
        train(pairs, out, config(model, max_steps=1), progress=False)
    with pytest.raises(TrainingError, match="other training pairs"):
        train(pairs[:8], out, config(model, max_steps=2), resume=True, progress=False)
    with pytest.raises(TrainingError, match="no training pairs"):
        train([], tmp_path / "empty", config(model), progress=False)
    result = train(pairs, out, config(model, max_steps=1), overwrite=True, progress=False)
    assert result.steps == 1


def test_time_budget_stops_with_a_checkpoint(
    model: Path, pairs: list[Pair], tmp_path: Path
) -> None:
    result = train(pairs, tmp_path / "m", config(model, max_minutes=0), progress=False)
    assert result.steps == 0 and result.stopped.startswith("time budget")
    assert (tmp_path / "m" / "checkpoint" / "trainer_state.json").exists()
    assert (tmp_path / "m" / "entitylink_encoder.json").exists()


def test_a_full_disk_keeps_the_last_checkpoint(
    model: Path, pairs: list[Pair], tmp_path: Path
) -> None:
    from entitylink.errors import OutputError
    from tests.mounts import fill, tmpfs

    with tmpfs(tmp_path / "disk", size="16m") as disk:
        out = disk / "model"
        train(pairs, out, config(model, max_steps=2), progress=False)
        state = (out / "checkpoint" / "trainer_state.json").read_text()
        fill(disk, leave=30_000)
        with pytest.raises(OutputError, match=f"no space left on device while writing {out}/"):
            train(pairs, out, config(model, max_steps=4), resume=True, progress=False)
        assert (out / "checkpoint" / "trainer_state.json").read_text() == state
        assert not list(out.glob(".checkpoint-*"))
        (disk / "filler").unlink()
        assert train(pairs, out, config(model, max_steps=4), resume=True, progress=False).steps == 4


def test_overwrite_replaces_only_a_trained_model(
    model: Path, pairs: list[Pair], tmp_path: Path
) -> None:
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"keep")
    with pytest.raises(TrainingError, match="not a model written by entitylink train"):
        train(pairs, out, config(model, max_steps=1), overwrite=True, progress=False)
    assert (out / "holiday.jpg").read_bytes() == b"keep"
