from __future__ import annotations

from entitylink import Concept
from entitylink.evaluation.baselines import ExactMatch, TfidfLinker

CONCEPTS = [
    Concept("D1", "Myocardial Infarction", ("heart attack", "MI")),
    Concept("D2", "Asthma", ("bronchial asthma",), alt_ids=("OMIM:600807",)),
    Concept("D3", "Heart Failure", ("cardiac failure",)),
]


def test_exact_match_ignores_case_and_punctuation() -> None:
    linker = ExactMatch(CONCEPTS)
    results = linker.link(["Heart-Attack", "asthma", "flu", ""], k=5)
    assert [[c.concept_id for c in r] for r in results] == [["D1"], ["D2"], [], []]
    assert results[0][0].matched_name == "heart attack" and results[0][0].score == 1.0
    assert linker.alt_ids(["D1", "D2"]) == {"D2": ("OMIM:600807",)}


def test_tfidf_ranks_by_character_ngrams() -> None:
    linker = TfidfLinker(CONCEPTS)
    (result,) = linker.link(["heart atack"], k=2)
    assert [c.concept_id for c in result] == ["D1", "D3"]
    assert result[0].matched_name == "heart attack"
    assert result[0].score > result[1].score > 0
    (names,) = linker.link(["asthma"], k=3, collapse=False)
    assert [c.matched_name for c in names][:2] == ["Asthma", "bronchial asthma"]
    assert linker.link([""], k=3) == [[]]
