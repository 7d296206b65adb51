"""The NIL threshold of text annotation (``entitylink annotate``, the service's ``/annotate``).

A detected span whose best candidate scores below the threshold is NIL and dropped. The
dictionary detector finds every name of the index, common words included, so its spans get a
threshold by default; spans that a spaCy pipeline or the input gives are mentions already, and
keep their candidates whatever the score. Light on purpose: the command line reads it for its
``--help`` without importing the detectors.

>>> nil_threshold(None, "dictionary"), nil_threshold(None, "spacy:en_core_sci_sm")
(0.81, None)
>>> nil_threshold(0.9, "dictionary"), nil_threshold(0.9, "given")
(0.9, 0.9)
"""

from __future__ import annotations

# It maximised mention-level F1 of the dictionary detector + MiniLM linker with the MEDIC index
# on BC5CDR-disease's dev split (NCBI-disease's dev split chose 0.938); see docs/text.md.
DICTIONARY_THRESHOLD = 0.81


def nil_threshold(threshold: float | None, detector: str) -> float | None:
    """The threshold to annotate with: ``threshold`` when given, else
    :data:`DICTIONARY_THRESHOLD` for the ``"dictionary"`` detector and None (no NIL) for the
    others (``"given"``, ``"spacy:MODEL"``)."""
    if threshold is None and detector == "dictionary":
        return DICTIONARY_THRESHOLD
    return threshold
