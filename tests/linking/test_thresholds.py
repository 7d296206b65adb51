from __future__ import annotations

import pytest

from entitylink.linking.thresholds import DICTIONARY_THRESHOLD, nil_threshold


@pytest.mark.parametrize(
    ("given", "detector", "expected"),
    [
        (None, "dictionary", DICTIONARY_THRESHOLD),
        (None, "given", None),
        (None, "spacy:en_core_sci_sm", None),
        (0.5, "dictionary", 0.5),
        (0.0, "dictionary", 0.0),  # a given 0 is kept, not taken for "none"
        (0.7, "given", 0.7),
    ],
)
def test_the_dictionary_detector_gets_the_default_threshold(
    given: float | None, detector: str, expected: float | None
) -> None:
    assert nil_threshold(given, detector) == expected
