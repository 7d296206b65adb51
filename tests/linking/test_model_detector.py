from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.typing import NDArray
from transformers import AutoModelForTokenClassification, AutoTokenizer

from entitylink.errors import ModelLoadError
from entitylink.linking.model_detector import ModelDetector, read_detector_model
from entitylink.linking.tagger import Tagger

TEXTS = [
    "Cushing syndrome and Alzheimer disease; sickle cell anemia.\r\nAnosmia in Zürich.",
    "",
    "alopecia mucinosa " * 120,  # longer than one window of the tiny model (64 positions)
]


def torch_spans(directory: Path, texts: list[str], size: int, overlap: int) -> list[object]:
    """The same tagging run by transformers in torch: the reference for the ONNX graph."""
    model = AutoModelForTokenClassification.from_pretrained(directory).eval()
    tokenizer = AutoTokenizer.from_pretrained(directory)
    info = read_detector_model(directory)
    tagger = Tagger(tokenizer.backend_tokenizer, info.scheme, size=size, overlap=overlap)

    def run(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> NDArray[np.float32]:
        with torch.inference_mode():
            logits = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        return logits.logits.numpy()  # type: ignore[no-any-return]

    return tagger.tag(texts, run)  # type: ignore[return-value]


def test_the_onnx_detector_tags_as_the_torch_model_does(tiny_tagger_dir: Path) -> None:
    detector = ModelDetector(tiny_tagger_dir, quantize=None)
    info = detector.info
    assert (info.max_length, info.overlap) == (64, 16)  # the tiny BERT's 64 positions
    found = detector.detect_many(TEXTS)
    assert found == torch_spans(tiny_tagger_dir, TEXTS, info.max_length - 2, info.overlap)
    assert found[1] == []  # an empty text: no spans
    for text, spans in zip(TEXTS, found, strict=True):
        assert all(
            0 <= s < e <= len(text) and kind in ("Disease", "Chemical") for s, e, kind in spans
        )
    # the long text was tagged through all of its windows, none cut off
    tokens = detector.tagger.tokenizer.encode(TEXTS[2], add_special_tokens=False)
    assert len(tokens.ids) > 3 * (info.max_length - 2)


def test_types_keep_the_spans_of_those_types(tiny_tagger_dir: Path) -> None:
    every = ModelDetector(tiny_tagger_dir, quantize=None).detect_many(TEXTS)
    diseases = ModelDetector(tiny_tagger_dir, quantize=None, types={"Disease"}).detect_many(TEXTS)
    assert diseases == [[s for s in spans if s[2] == "Disease"] for spans in every]


def test_a_directory_that_is_no_token_classifier_is_refused(
    tmp_path: Path, tiny_model_dir: Path, tiny_tagger_dir: Path
) -> None:
    with pytest.raises(ModelLoadError, match="no such directory"):
        read_detector_model(tmp_path / "absent")
    with pytest.raises(ModelLoadError, match="no config.json"):
        read_detector_model(tmp_path)
    with pytest.raises(ModelLoadError, match=r"not a token classifier.*BertModel"):
        read_detector_model(tiny_model_dir)  # an encoder, no classification head
    unlabelled = tmp_path / "unlabelled"
    shutil.copytree(tiny_tagger_dir, unlabelled)
    config = json.loads((unlabelled / "config.json").read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1"}
    (unlabelled / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="not BIO tags"):
        read_detector_model(unlabelled)
    del config["id2label"]
    (unlabelled / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="no id2label"):
        read_detector_model(unlabelled)
    weightless = tmp_path / "weightless"
    shutil.copytree(tiny_tagger_dir, weightless)
    (weightless / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="no weights"):
        read_detector_model(weightless)
