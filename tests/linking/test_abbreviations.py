from __future__ import annotations

from entitylink.evaluation import preprocess
from entitylink.linking.abbreviations import find_abbreviations, short_form_spans


def test_evaluation_uses_the_linking_detector() -> None:
    assert preprocess.find_abbreviations is find_abbreviations


def test_short_form_occurrences_are_whole_words() -> None:
    text = "Wilson disease (WD): WD, WDs, AWD and WD."
    assert short_form_spans(text, {"WD": "Wilson disease"}) == [
        (16, 18, "WD"),
        (21, 23, "WD"),
        (38, 40, "WD"),
    ]
    assert short_form_spans(text, {}) == []
