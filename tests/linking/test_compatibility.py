"""The weights that built an index are the ones that link with it, unless allow_mismatch."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from entitylink import Concept, Encoder, IndexFormatError, Linker, LoadOptions, build_index
from entitylink.encoding.onnx_cache import weights_identity
from entitylink.index.layout import MANIFEST

CONCEPTS = [
    Concept("C1", "myocardial infarction", ("heart attack",)),
    Concept("C2", "asthma", ("bronchial asthma",)),
    Concept("C3", "gout"),
]
TORCH = LoadOptions(backend="torch", quantize="none")


def retrain(model_dir: Path, seed: int) -> None:
    """Rewrite the checkpoint's weights in place, as ``train --out DIR --overwrite`` does."""
    torch.manual_seed(seed)
    config = BertConfig.from_pretrained(model_dir)
    BertModel(config).save_pretrained(model_dir)


@pytest.fixture
def model_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


@pytest.fixture
def index_dir(model_dir: Path, tmp_path: Path) -> Path:
    encoder = Encoder(str(model_dir), pooling="cls", device="cpu")
    return build_index(CONCEPTS, encoder, tmp_path / "index", progress=False).path


def test_the_index_records_its_weights(model_dir: Path, index_dir: Path) -> None:
    recorded = json.loads((index_dir / MANIFEST).read_text())["encoder_identity"]
    assert recorded == {"weights": weights_identity(str(model_dir))}
    assert recorded["weights"].startswith("sha256:")
    linker = Linker.from_dir(index_dir, TORCH)
    assert linker.link(["heart attack"], k=1)[0][0].score == pytest.approx(1.0, abs=1e-4)


def test_other_weights_under_the_same_name_are_refused(model_dir: Path, index_dir: Path) -> None:
    retrain(model_dir, seed=1)
    with pytest.raises(IndexFormatError, match="built with other weights.*allow_mismatch"):
        Linker.from_dir(index_dir, TORCH)


def test_allow_mismatch_links_with_a_warning(
    model_dir: Path, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    retrain(model_dir, seed=1)
    with caplog.at_level(logging.WARNING):
        linker = Linker.from_dir(index_dir, TORCH.replace(allow_mismatch=True))
    assert "built with other weights" in caplog.text and "allow_mismatch" in caplog.text
    assert len(linker.link(["heart attack"], k=1)[0]) == 1


def test_restored_weights_link_again(model_dir: Path, index_dir: Path, tmp_path: Path) -> None:
    saved = Path(shutil.copytree(model_dir, tmp_path / "saved"))
    retrain(model_dir, seed=1)
    with pytest.raises(IndexFormatError, match="other weights"):
        Linker.from_dir(index_dir, TORCH)
    for path in saved.iterdir():
        shutil.copy(path, model_dir / path.name)
    assert Linker.from_dir(index_dir, TORCH).link(["gout"], k=1)[0][0].concept_id == "C3"


def test_allow_mismatch_is_a_load_option() -> None:
    assert LoadOptions().allow_mismatch is False
    options = LoadOptions(allow_mismatch=True)
    assert LoadOptions.from_json(options.to_json()) == options
