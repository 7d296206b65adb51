from __future__ import annotations

import dataclasses
import io
import json

import pytest

from entitylink import Annotator, ConceptIndex, Encoder, GivenSpans, Linker
from entitylink.linking.documents import InputDocument
from entitylink.linking.formats import write_documents
from entitylink.linking.windows import annotate_long, cuts

SENTENCES = (
    "Myocardial infarction (MI) in type 2 diabetes mellitus. ",
    "Ünïcödé 😀: MI was frequent; a heart attack came first. ",
    "No mention here at all. ",
    "Breast cancer and hypertension\r\nwere seen. ",
)


@pytest.fixture(scope="module")
def linker(tiny_encoder: Encoder, tiny_index: ConceptIndex) -> Linker:
    return Linker(tiny_encoder, tiny_index)


def long_text(repeats: int) -> str:
    return "".join(SENTENCES[i % len(SENTENCES)] for i in range(repeats))


def test_cuts_fall_after_sentence_ends_then_whitespace_then_anywhere() -> None:
    text = long_text(40)
    bounds = cuts(text, size=300, overlap=100)
    assert bounds[0] == 0 and bounds[-1] == len(text)
    assert all(0 < b - a <= 300 for a, b in zip(bounds, bounds[1:], strict=False))
    assert all(text[b - 2 : b] == ". " for b in bounds[1:-1])
    assert cuts("word " * 100, size=52, overlap=10)[1] == 50  # after a space
    assert cuts("x" * 100, size=30, overlap=10) == [0, 30, 60, 90, 100]
    assert cuts("short", size=30, overlap=10) == [0, 5]


@pytest.mark.parametrize("size", [120, 333, 1_000])
def test_windows_give_the_spans_of_one_pass(linker: Linker, size: int) -> None:
    text = long_text(30)
    annotator = Annotator(linker, k=3, batch_size=1)  # scores independent of the batch
    (whole,) = annotator.annotate([text], ids=["d"])
    streamed = annotate_long(annotator, text, "d", size=size, overlap=60)
    assert streamed.materialize() == whole
    assert any(span.source == "abbreviation" for span in whole.spans)  # carried over windows


def test_given_spans_are_kept_across_windows(linker: Linker) -> None:
    text = long_text(12)
    spans = [(0, 21, "Disease"), (57, 59, None), (len(text) - 12, len(text) - 1, "X")]
    annotator = Annotator(linker, GivenSpans(), batch_size=1)
    (whole,) = annotator.annotate([text], spans=[spans])
    streamed = annotate_long(annotator, text, None, spans, size=100, overlap=20)
    assert streamed.materialize() == whole


@pytest.mark.parametrize("fmt", ["jsonl", "pubtator", "bioc.json"])
def test_a_streamed_document_is_written_as_the_whole_one(linker: Linker, fmt: str) -> None:
    pytest.importorskip("bioc") if fmt == "bioc.json" else None
    text = long_text(20)
    annotator = Annotator(linker, k=2, batch_size=1)
    (whole,) = annotator.annotate([text], ids=["7"])
    source = InputDocument(text, "7")
    expected, got = io.StringIO(), io.StringIO()
    assert write_documents([(whole, source)], expected, fmt) == len(whole.spans)
    streamed = annotate_long(annotator, text, "7", size=150, overlap=60)
    assert write_documents([(streamed, source)], got, fmt) == len(whole.spans)
    assert got.getvalue() == expected.getvalue()
    if fmt == "jsonl":
        assert json.loads(got.getvalue())["spans"] == [
            json.loads(json.dumps(dataclasses.asdict(s))) for s in whole.spans
        ]
