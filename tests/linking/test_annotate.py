from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from entitylink import (
    Annotator,
    ConceptIndex,
    DictionaryDetector,
    Document,
    Encoder,
    GivenSpans,
    Linker,
    annotate,
)

TEXT = (
    "Myocardial infarction (MI) in type 2 diabetes mellitus.\r\n"
    "Ünïcödé 😀: MI was frequent; a heart attack came first."
)


@pytest.fixture(scope="module")
def linker(tiny_encoder: Encoder, tiny_index: ConceptIndex) -> Linker:
    return Linker(tiny_encoder, tiny_index)


def test_spans_have_exact_offsets_and_abbreviations_link_through_long_forms(
    linker: Linker,
) -> None:
    (document,) = Annotator(linker, k=3).annotate([TEXT], ids=["doc1"])
    assert document.id == "doc1" and document.text == TEXT
    assert dict(document.abbreviations) == {"MI": "Myocardial infarction"}
    for span in document.spans:
        assert TEXT[span.start : span.end] == span.text
        assert 0 < len(span.candidates) <= 3
    found = [(s.text, s.linked_text, s.source) for s in document.spans]
    assert found == [
        ("Myocardial infarction", "Myocardial infarction", "detector"),
        ("MI", "Myocardial infarction", "abbreviation"),
        ("type 2 diabetes mellitus", "type 2 diabetes mellitus", "detector"),
        ("MI", "Myocardial infarction", "abbreviation"),
        ("heart attack", "heart attack", "detector"),
    ]
    assert document.spans[1].start == TEXT.index("MI")
    assert document.spans[3].start == TEXT.index("MI was")
    json.dumps(dataclasses.asdict(document))  # JSON-ready as it is


def test_spans_are_linked_once_per_distinct_text(linker: Linker, monkeypatch: Any) -> None:
    calls: list[list[str]] = []
    original = linker.link

    def recording(mentions: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(list(mentions))
        return original(mentions, *args, **kwargs)

    monkeypatch.setattr(linker, "link", recording)
    Annotator(linker).annotate([TEXT, TEXT, "heart attack"])
    assert len(calls) == 1 and sorted(calls[0]) == sorted(set(calls[0]))
    assert len(calls[0]) == 3


def test_nil_spans_below_the_threshold_are_dropped(linker: Linker) -> None:
    (document,) = Annotator(linker, threshold=2.0).annotate([TEXT])
    assert document.spans == ()


def test_empty_documents(linker: Linker) -> None:
    assert Annotator(linker).annotate(["", "   "]) == [Document(""), Document("   ")]
    assert Annotator(linker).annotate([]) == []


def test_given_spans_are_linked_as_given_nil_included(linker: Linker) -> None:
    text = "A heart attack, then nothing."
    spans = [[(2, 14, "Disease"), (21, 28)]]
    (document,) = Annotator(linker, GivenSpans(), threshold=0.999).annotate([text], spans=spans)
    assert [(s.text, s.label) for s in document.spans] == [
        ("heart attack", "Disease"),
        ("nothing", None),
    ]
    with pytest.raises(ValueError, match="outside the text"):
        Annotator(linker, GivenSpans()).annotate([text], spans=[[(5, 99)]])
    with pytest.raises(ValueError, match="one list"):
        Annotator(linker, GivenSpans()).annotate([text])


def test_the_dictionary_baseline_needs_no_linker(tiny_index: ConceptIndex) -> None:
    detector = DictionaryDetector.from_store(tiny_index.store)
    (document,) = annotate(["a heart attack"], None, detector, k=1)
    (span,) = document.spans
    assert span.concept_id == "C0027051" and span.candidates[0].score == 1.0
    with pytest.raises(ValueError, match="DictionaryDetector"):
        Annotator(None, GivenSpans())


def test_types_filter(linker: Linker) -> None:
    (document,) = Annotator(linker, types={"T999"}).annotate(["a heart attack"])
    assert document.spans == ()


def test_typed_linking_links_each_span_among_the_concepts_of_its_type(linker: Linker) -> None:
    """A span labelled Chemical links to drugs (T121) only, one labelled B-DISEASE to disorders
    (T047) only, whatever the encoder ranks first; an unmapped label links to anything."""
    text = "semaglutide for asthma; remdesivir and Cushing syndrome"
    words = ["semaglutide", "asthma", "remdesivir", "Cushing syndrome"]
    where = [(text.index(w), text.index(w) + len(w)) for w in words]
    labels = ["Chemical", "B-DISEASE", "Species", "Disease"]
    spans = [[(s, e, label) for (s, e), label in zip(where, labels, strict=True)]]
    type_map = {"Disease": {"T047"}, "Chemical": {"T121"}}
    typed = Annotator(linker, GivenSpans(), k=50, type_map=type_map)
    (document,) = typed.annotate([text], spans=spans)
    kinds = [{t for c in span.candidates for t in c.types} for span in document.spans]
    assert kinds[0] == {"T121"} and kinds[1] == {"T047"} and kinds[3] == {"T047"}
    assert len(kinds[2]) > 1  # Species is not in the map: every type
    # the same text linked twice under two types is two queries, each with its own answer
    crossed = [[(where[1][0], where[1][1], "Chemical"), (where[1][0], where[1][1], "Disease")]]
    (twice,) = typed.annotate([text], spans=crossed)
    assert [{t for c in s.candidates for t in c.types} for s in twice.spans] == [
        {"T121"},
        {"T047"},
    ]


def test_an_abbreviation_takes_the_label_of_its_long_form() -> None:
    from entitylink.linking.annotate import _label_within

    text = "tamoxifen-induced hepatitis (TIH)"
    assert _label_within(text, "tamoxifen-induced hepatitis", [(18, 27, "Disease")]) == "Disease"
    assert _label_within(text, "tamoxifen-induced hepatitis", [(0, 4, None)]) is None
