from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from entitylink.linking.model_detector import NER_CONFIG_FILE, ModelDetector
from entitylink.training.config import NerConfig
from entitylink.training.ner import train_ner
from entitylink.training.ner_data import NerDocument
from entitylink.training.ner_steps import partial_nll, score_spans


def test_partial_nll_is_cross_entropy_where_o_means_o() -> None:
    logits = torch.randn(2, 3, 5)
    tags = torch.tensor([[0, 3, 4], [1, -100, 0]])
    none = torch.zeros(2, 5, dtype=torch.bool)
    expected = torch.nn.functional.cross_entropy(logits.view(-1, 5), tags.view(-1))
    assert partial_nll(logits, tags, none, 0).item() == pytest.approx(expected.item(), rel=1e-5)


def test_partial_nll_sums_o_with_the_untagged_types() -> None:
    logits = torch.tensor([[[1.0, 2.0, 0.5]]])
    also = torch.tensor([[False, True, False]])
    probs = torch.softmax(logits[0, 0], dim=-1)
    loss = partial_nll(logits, torch.tensor([[0]]), also, 0)
    assert loss.item() == pytest.approx(-math.log(probs[0] + probs[1]), rel=1e-5)


def document(corpus: str, number: int, text: str, words: dict[str, str]) -> NerDocument:
    spans = []
    for word, kind in words.items():
        at = text.find(word)
        while at >= 0:
            spans.append((at, at + len(word), kind))
            at = text.find(word, at + 1)
    return NerDocument(corpus, f"{corpus}-{number}", text, tuple(sorted(spans)))


WORDS = {"anosmia": "Disease", "alopecia": "Disease", "cortisol": "Chemical"}
TEXTS = [
    "anosmia and cortisol excess in hair follicle",
    "follicular mucinosis with alopecia , anosmia",
    "cortisol in pituitary ACTH excess\r\nwith alopecia",
    "Zürich : primary anosmia , cortisol",
]


def test_score_spans_counts_exact_span_and_type() -> None:
    gold = [document("bc5cdr", 0, TEXTS[0], WORDS)]
    found = [[(0, 7, "Disease"), (12, 20, "Disease")]]  # the second: right span, wrong type
    scores = score_spans(gold, found)
    assert scores["all"] == scores["bc5cdr"]
    assert (scores["all"]["tp"], scores["all"]["fp"], scores["all"]["fn"]) == (1, 1, 1)
    ncbi = [document("ncbi-disease", 0, TEXTS[0], {"anosmia": "Disease"})]
    scores = score_spans(ncbi, [[(0, 7, "Disease"), (12, 20, "Chemical")]])  # NCBI: no chemicals
    assert (scores["all"]["tp"], scores["all"]["fp"], scores["all"]["fn"]) == (1, 0, 0)


def test_training_keeps_the_best_dev_epoch_resumes_and_loads(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    train = [document("bc5cdr", i, t, WORDS) for i, t in enumerate(TEXTS * 3)]
    train += [document("ncbi-disease", i, t, {"anosmia": "Disease"}) for i, t in enumerate(TEXTS)]
    dev = [document("bc5cdr", 100 + i, t, WORDS) for i, t in enumerate(TEXTS)]
    config = NerConfig(
        base_model=str(tiny_model_dir),
        max_length=16,
        overlap=4,
        batch_size=8,
        epochs=2,
        learning_rate=5e-3,
        save_every=1,
        log_every=1,
        threads=1,
    )
    out = tmp_path / "ner"
    first = train_ner(train, dev, out, config, progress=False)
    assert first.stopped == "finished" and [h["epoch"] for h in first.dev] == [1, 2]
    settings = json.loads((out / NER_CONFIG_FILE).read_text())
    assert settings["labels"] == ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    assert (settings["max_length"], settings["overlap"]) == (16, 4)
    best = max(first.dev, key=lambda h: (h["all"]["f1"], -h["epoch"]))
    assert settings["epoch"] == first.best_epoch == best["epoch"]
    assert settings["data"]["corpora"] == ["bc5cdr", "ncbi-disease"]
    longer = NerConfig(**{**config.__dict__, "epochs": 4})
    second = train_ner(train, dev, out, longer, resume=True, progress=False)
    assert second.steps == second.total_steps == 2 * first.steps
    assert [h["epoch"] for h in second.dev] == [1, 2, 3, 4]
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, second.steps + 1))
    detector = ModelDetector(out, quantize=None)
    found = detector.detect_many(TEXTS)
    assert all(
        TEXTS[i][s:e].strip() == TEXTS[i][s:e] for i, spans in enumerate(found) for s, e, _ in spans
    )


def test_bfloat16_training_writes_a_float32_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    train = [document("bc5cdr", i, t, WORDS) for i, t in enumerate(TEXTS * 2)]
    config = NerConfig(
        base_model=str(tiny_model_dir),
        max_length=16,
        overlap=4,
        batch_size=4,
        epochs=1,
        bf16=True,
        threads=1,
    )
    result = train_ner(train, train[:2], tmp_path / "bf16", config, progress=False)
    assert result.best_epoch == 1 and result.steps == result.total_steps
    from safetensors.torch import load_file

    tensors = load_file(tmp_path / "bf16" / "model.safetensors")
    assert {t.dtype for t in tensors.values()} == {torch.float32}
    assert ModelDetector(tmp_path / "bf16", quantize=None).detect_many([""]) == [[]]
