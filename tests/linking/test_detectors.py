from __future__ import annotations

import pytest

from entitylink.linking.detectors import (
    DictionaryDetector,
    DictionaryOptions,
    default_stop_list,
    normalize_name,
    tokens,
)

NAMES = [
    ("D1", "breast cancer"),
    ("D2", "cancer"),
    ("D3", "Parkinson Disease"),
    ("D4", "non-Hodgkin lymphoma"),
    ("D5", "ALS"),
    ("D6", "Breast Neoplasms"),
    ("D7", "disease"),
    ("D8", "Behçet syndrome"),
    ("D9", "MS"),
]


@pytest.fixture(scope="module")
def detector() -> DictionaryDetector:
    return DictionaryDetector.from_names(NAMES, DictionaryOptions(stop_list=frozenset({"disease"})))


def found(detector: DictionaryDetector, text: str) -> list[str]:
    spans = detector.detect(text)
    return [text[start:end] for start, end, _ in spans]


def test_plural_possessive_and_hyphen_variants(detector: DictionaryDetector) -> None:
    text = "Breast cancers, Parkinson's disease and non Hodgkin-lymphoma; breast neoplasm."
    assert found(detector, text) == [
        "Breast cancers",
        "Parkinson's disease",
        "non Hodgkin-lymphoma",
        "breast neoplasm",
    ]


def test_longest_match_wins_and_matches_do_not_overlap(detector: DictionaryDetector) -> None:
    assert found(detector, "breast cancer and cancer") == ["breast cancer", "cancer"]


def test_token_boundaries(detector: DictionaryDetector) -> None:
    assert found(detector, "precancerous cancerx xcancer") == []


def test_stop_list_names_are_not_matched(detector: DictionaryDetector) -> None:
    assert found(detector, "the disease spread") == []
    assert "disease" in default_stop_list()  # the shipped list, derived on the train splits


def test_short_all_caps_names_match_case_sensitively(detector: DictionaryDetector) -> None:
    assert found(detector, "ALS and als and Als; ALSs") == ["ALS", "ALSs"]
    assert found(detector, "MS") == []  # two characters: under the default min_length, 3


def test_min_length() -> None:
    options = DictionaryOptions(min_length=4, stop_list=frozenset())
    detector = DictionaryDetector.from_names(NAMES, options)
    assert found(detector, "ALS and cancer") == ["cancer"]


def test_offsets_are_exact_for_non_ascii_and_crlf(detector: DictionaryDetector) -> None:
    text = "Ünïcödé 😀 text:\r\nBehçet syndrome\r\n\r\nbreast\r\ncancer — ALS’s course"
    spans = detector.detect(text)
    assert [text[s:e] for s, e, _ in spans] == ["Behçet syndrome", "breast\r\ncancer", "ALS"]
    assert spans[0][0] == text.index("Behçet")


def test_empty_and_blank_texts(detector: DictionaryDetector) -> None:
    assert detector.detect("") == [] and detector.detect(" \r\n ") == []
    assert DictionaryDetector.from_names([]).detect("cancer") == []


def test_exact_names_give_their_concepts(detector: DictionaryDetector) -> None:
    assert [c.concept_id for c in detector.exact("Breast-Cancer")] == ["D1"]
    assert [c.concept_id for c in detector.exact("breast neoplasm")] == ["D6"]
    assert detector.exact("no such name") == []


def test_normalisation() -> None:
    assert normalize_name("Parkinson’s  Non-Hodgkin") == "parkinson non hodgkin"
    assert [t for _, _, t in tokens("Crohn's")] == ["crohn"]


def test_from_store_reads_the_index_names(tiny_index) -> None:  # type: ignore[no-untyped-def]
    detector = DictionaryDetector.from_store(tiny_index.store)
    assert len(detector) > 1000  # the names, and the singular of plural ones
    text = "A heart attack in type 2 diabetes mellitus."
    assert found(detector, text) == ["heart attack", "type 2 diabetes mellitus"]
    assert detector.exact("heart attack")[0].concept_id == "C0027051"
