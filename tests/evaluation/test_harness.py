from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from entitylink import Candidate, Concept, Mention
from entitylink.evaluation.harness import (
    accuracy_at_k,
    evaluate,
    first_hit_rank,
    mean_reciprocal_rank,
)
from entitylink.evaluation.protocols import Prepared, Query

D1, D2, D3 = frozenset({"D1"}), frozenset({"D2"}), frozenset({"D3"})


def test_first_hit_rank_single_and_composite() -> None:
    assert first_hit_rank([[D2, D1, D3]], D1, 10) == 2
    assert first_hit_rank([[D2, D3]], D1, 10) is None  # no hit
    assert first_hit_rank([[]], D1, 10) is None  # empty prediction
    assert first_hit_rank([[D3, D1]], D1, 1) is None  # beyond k_max
    # composite: every part must hit; the query's rank is its worst part's
    assert first_hit_rank([[D1], [D3, D2]], D1 | D2, 10) == 2
    assert first_hit_rank([[D1], [D3]], D1 | D2, 10) is None
    # a candidate carrying several IDs hits when any of them is gold
    assert first_hit_rank([[frozenset({"D9", "D2"})]], D2, 10) == 1


def test_accuracy_and_mrr_edge_cases() -> None:
    ranks = [1, 2, None, 5]
    assert accuracy_at_k(ranks, 1) == 0.25
    assert accuracy_at_k(ranks, 5) == 0.75
    assert accuracy_at_k(ranks, 50) == 0.75  # k larger than any candidate list
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 0.5 + 0 + 0.2) / 4)
    assert accuracy_at_k([], 1) == 0.0 and mean_reciprocal_rank([]) == 0.0


class Fixed:
    """A retriever answering from a table, for scoring without a model."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[bool] = []

    def link(
        self, mentions: Sequence[str], k: int = 10, *, collapse: bool = True
    ) -> list[list[Candidate]]:
        self.calls.append(collapse)
        return [
            [Candidate(i, i, i, 1.0 - r / 10) for r, i in enumerate(self.answers.get(m, [])[:k])]
            for m in mentions
        ]

    def alt_ids(self, concept_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        return {"D7": ("OMIM:7",)} if "D7" in set(concept_ids) else {}


def prepared(protocol: str) -> Prepared:
    def query(parts: tuple[str, ...], gold: set[str]) -> Query:
        return Query(parts, frozenset(gold), Mention(" ".join(parts), tuple(sorted(gold))))

    return Prepared(
        benchmark="toy",
        split="test",
        protocol=protocol,
        queries=(
            query(("a",), {"D1"}),
            query(("a",), {"D1"}),  # duplicates count
            query(("b",), {"D2"}),
            query(("c", "d"), {"D3", "D4"}),  # composite
            query(("e",), {"OMIM:7"}),  # hit through an alt ID
            query(("f",), {"D6"}),  # nothing predicted
        ),
        dictionary=(Concept("D1", "a"),),
        dictionary_description="toy",
        removed={"nil": 2, "uncovered": 1},
        uncovered_ids=("D99",),
        names={"D2": "bee"},
    )


def test_evaluate_counts_as_the_protocol_says() -> None:
    system = Fixed(
        {"a": ["D1"], "b": ["D5", "D2"], "c": ["D3"], "d": ["D9", "D9", "D4"], "e": ["D7"]}
    )
    report, misses = evaluate(system, prepared("sapbert"), system_name="fixed", progress=False)
    assert system.calls == [False]  # the sapbert protocol ranks names
    assert report.counts == {
        "queries": 6,
        "hits@1": 3,
        "hits@5": 5,
        "misses@10": 1,
        "removed_nil": 2,
        "removed_uncovered": 1,
        "uncovered_gold_ids": 1,
    }
    assert report.metrics["acc@1"] == pytest.approx(3 / 6)
    assert report.metrics["acc@2"] == pytest.approx(4 / 6)
    assert report.metrics["acc@3"] == report.metrics["acc@10"] == pytest.approx(5 / 6)
    assert report.metrics["mrr"] == pytest.approx((3 + 1 / 2 + 1 / 3) / 6)
    assert [m["mention"] for m in misses] == ["b", "c d", "f"]
    assert misses[0]["gold"] == {"D2": "bee"} and misses[0]["hit_rank"] == 2
    assert misses[0]["top"][0][0]["id"] == "D5"


def test_plain_protocol_collapses_concepts() -> None:
    system = Fixed({})
    report, _ = evaluate(system, prepared("plain"), system_name="fixed", progress=False)
    assert system.calls == [True] and report.metrics["acc@10"] == 0.0
