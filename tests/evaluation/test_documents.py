from __future__ import annotations

import pytest

from entitylink import Candidate, Document, Span
from entitylink.evaluation.benchmarks import Benchmark
from entitylink.evaluation.documents import (
    Counts,
    choose_threshold,
    gold_spans,
    predictions,
    score,
)
from entitylink.records import Mention

GOLD = {
    "d1": [(0, 5, ("D1",)), (10, 12, ("D2", "D3")), (20, 22, ("-1",))],
    "d2": [(0, 3, ("D4",))],
    "d3": [(0, 4, ("OMIM:123",))],
}
PREDICTED = {
    "d1": [
        (0, 5, frozenset({"D1"})),  # hit
        (10, 12, frozenset({"D3"})),  # hit: one of a composite mention's IDs
        (20, 22, frozenset({"D9"})),  # on a gold span without ID: not counted at mention level
        (30, 35, frozenset({"D1"})),  # no gold span here: a false positive
    ],
    "d2": [(0, 3, frozenset({"D5"}))],  # right span, wrong concept: FP and FN
    "d3": [(0, 4, frozenset({"D7", "OMIM:123"}))],  # hit through an alt ID
}


def test_mention_and_document_counts_on_a_hand_built_pair() -> None:
    scores = score(PREDICTED, GOLD)
    assert scores.mention == Counts(tp=3, fp=2, fn=1)
    # d1: {D1, D3, D9} vs {D1, D2, D3}; d2: {D5} vs {D4}; d3: {OMIM:123} vs {OMIM:123}
    assert scores.document == Counts(tp=3, fp=2, fn=2)
    assert scores.mention.precision == pytest.approx(3 / 5)
    assert scores.mention.recall == pytest.approx(3 / 4)
    assert scores.mention.f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert Counts(0, 0, 0).f1 == 0.0


def test_a_document_without_predictions_counts_its_gold_as_missed() -> None:
    scores = score({}, {"d1": [(0, 5, ("D1",))]})
    assert scores.mention == Counts(0, 0, 1) and scores.document == Counts(0, 0, 1)


def _document(doc_id: str, spans: list[tuple[int, int, str, float]]) -> Document:
    made = tuple(
        Span(s, e, "x", "x", (Candidate(cid, cid, cid, score),)) for s, e, cid, score in spans
    )
    return Document("x" * 50, made, doc_id)


def test_predictions_and_the_threshold_maximising_f1() -> None:
    documents = [_document("d1", [(0, 5, "D1", 0.9), (10, 12, "D3", 0.8), (30, 35, "D1", 0.5)])]
    gold = {"d1": GOLD["d1"]}
    assert predictions(documents, {}, 0.85) == {"d1": [(0, 5, frozenset({"D1"}))]}
    threshold, scores = choose_threshold(documents, gold, {})
    assert threshold == pytest.approx(0.8) and scores.mention == Counts(2, 0, 0)
    assert predictions(documents, {"D1": ("OMIM:1",)})["d1"][0][2] == {"D1", "OMIM:1"}


def test_gold_spans_from_a_benchmark() -> None:
    bench = Benchmark(
        "b", "test", (Mention("WD", ("D1",), "p1", 0, 2),), {"p1": "WD.", "p2": "Nothing."}
    )
    assert gold_spans(bench) == {"p1": [(0, 2, ("D1",))], "p2": []}
