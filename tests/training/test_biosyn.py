from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from entitylink import Encoder, read_vocabulary
from entitylink.evaluation.benchmarks import load_benchmark
from entitylink.evaluation.preprocess import normalize_text
from entitylink.evaluation.protocols import concept_ids, prepare
from entitylink.training.biosyn import BiosynQuery, biosyn_data, marginal_nll, train_biosyn
from entitylink.training.config import BiosynConfig
from tests.paths import SAMPLES, shared_path


def test_marginal_nll_sums_the_probability_of_every_positive() -> None:
    scores = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    positive = torch.tensor([[True, True, False], [False, False, True]])
    probs = torch.softmax(scores, dim=-1)
    expected = -(math.log(probs[0, 0] + probs[0, 1]) + math.log(1 / 3)) / 2
    assert marginal_nll(scores, positive).item() == pytest.approx(expected, rel=1e-5)


def test_biosyn_data_refuses_the_test_split() -> None:
    for splits in (("test",), ("train", "test"), ()):
        with pytest.raises(ValueError, match="leak"):
            biosyn_data("ncbi-disease", splits)


def test_training_queries_and_dictionary_hold_no_test_pairing() -> None:
    """No test mention paired with its gold IDs reaches BioSyn training, unless the very same
    pairing is in the train split; and the dictionary is the vocabulary's names only."""
    shared_path("benchmarks", "ncbi-disease")
    queries, dictionary = biosyn_data("ncbi-disease", ("train",))
    train = {(q.parts[0], q.gold) for q in prepare("ncbi-disease", split="train").queries}
    test = {(q.parts[0], q.gold) for q in prepare("ncbi-disease", split="test").queries}
    pairs = {(q.text, q.gold) for q in queries}
    assert pairs <= train and not (pairs & test) - train
    vocabulary = prepare("ncbi-disease", split="dev").dictionary
    assert dictionary == vocabulary
    names = {n for c in dictionary for n in c.names}
    test_only = {normalize_text(m.text) for m in load_benchmark("ncbi-disease", "test").mentions}
    test_only -= {normalize_text(m.text) for m in load_benchmark("ncbi-disease", "train").mentions}
    assert test_only - names and not (test_only - names) & names


def test_train_resume_and_load(tmp_path: Path, tiny_model_dir: Path) -> None:
    concepts = list(read_vocabulary(SAMPLES / "MRCONSO.RRF"))
    queries = [BiosynQuery(normalize_text(c.name) + "s", concept_ids(c)) for c in concepts[:6]]
    config = BiosynConfig(
        base_model=str(tiny_model_dir), batch_size=3, epochs=1, topk=4, save_every=1, log_every=1
    )
    out = tmp_path / "model"
    first = train_biosyn(queries, concepts, out, config, progress=False)
    assert (first.steps, first.total_steps, first.stopped) == (2, 2, "finished")
    settings = json.loads((out / "entitylink_encoder.json").read_text())
    assert settings["training"]["objective"] == "biosyn"
    assert isinstance(settings["training"]["weight"], float)
    assert Encoder(str(out), device="cpu").encode(["fever"]).shape[0] == 1
    longer = BiosynConfig(**{**config.__dict__, "epochs": 2})
    second = train_biosyn(queries, concepts, out, longer, resume=True, progress=False)
    assert (second.steps, second.total_steps) == (4, 4)
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
