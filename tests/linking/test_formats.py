from __future__ import annotations

import io
import json

import pytest

from entitylink import Candidate, Document, DocumentFormatError, Span
from entitylink.linking import formats
from entitylink.linking.formats import (
    InputDocument,
    Skipped,
    detect_format,
    read_documents,
    write_documents,
)

PUBTATOR = (
    "101|t|Wilson disease in Ünïcödé.\n"
    "101|a|Wilson disease (WD) is rare.\n"
    "101\t0\t14\tWilson disease\tDisease\tD006527\n"
    "101\t27\t41\tWilson disease\tDisease\tD006527\n"
    "101\t43\t45\tWD\tDisease\tD006527\n"
    "\n"
    "102|t|No mentions.\n"
    "102|a|\n"
)


def read(text: str | bytes, fmt: str, **kw: object) -> list[InputDocument]:
    data = text.encode() if isinstance(text, str) else text
    return list(read_documents(io.BytesIO(data), fmt, "in." + fmt, **kw))  # type: ignore[arg-type]


def linked(source: InputDocument) -> Document:
    """The document as if every given span was linked to its PubTator ID."""
    spans = tuple(
        Span(
            s,
            e,
            source.text[s:e],
            source.text[s:e],
            (Candidate("D006527", "Wilson Disease", "Wilson disease", 0.9),),
            label,
        )
        for s, e, label in source.spans
    )
    return Document(source.text, spans, source.id)


def test_pubtator_round_trip() -> None:
    documents = read(PUBTATOR, "pubtator")
    assert [d.id for d in documents] == ["101", "102"]
    first = documents[0]
    assert first.text == "Wilson disease in Ünïcödé. Wilson disease (WD) is rare."
    assert [first.text[s:e] for s, e, _ in first.spans] == ["Wilson disease"] * 2 + ["WD"]
    out = io.StringIO()
    assert write_documents(((linked(d), d) for d in documents), out, "pubtator") == 3
    assert out.getvalue().split("\n") == PUBTATOR.replace("102|a|\n", "102|a|\n\n").split("\n")


def test_bioc_json_round_trip_and_xml_input() -> None:
    pytest.importorskip("bioc")
    import bioc

    documents = read(PUBTATOR, "pubtator")
    out = io.StringIO()
    write_documents(((linked(d), d) for d in documents), out, "bioc.json")
    again = read(out.getvalue(), "bioc.json")
    assert [(d.id, d.text, d.spans) for d in again] == [(d.id, d.text, d.spans) for d in documents]
    collection = bioc.biocjson.loads(out.getvalue())
    annotation = collection.documents[0].passages[1].annotations[0]
    assert annotation.infons["identifier"] == "D006527"
    xml = bioc.biocxml.dumps(collection)
    assert [(d.text, d.spans) for d in read(xml, "bioc.xml")] == [
        (d.text, d.spans) for d in documents
    ]


def test_pubtator_wrong_offsets_name_the_line() -> None:
    bad = PUBTATOR.replace("101\t43\t45\tWD", "101\t42\t44\tWD")
    with pytest.raises(DocumentFormatError, match=r"in\.pubtator:5: offsets 42-44 cover '\(W'"):
        read(bad, "pubtator")
    skipped = Skipped()
    assert [d.id for d in read(bad, "pubtator", strict=False, skipped=skipped)] == ["102"]
    assert skipped.count == 1


def test_undecodable_bytes_name_the_line_or_are_skipped() -> None:
    data = b"first document\nbad \xff bytes\r\nthird\n"
    with pytest.raises(DocumentFormatError, match=r"in\.txt:2: undecodable"):
        read(data, "txt")
    skipped = Skipped()
    documents = read(data, "txt", strict=False, skipped=skipped)
    assert [(d.id, d.text) for d in documents] == [("1", "first document"), ("3", "third")]
    assert skipped.count == 1


def test_jsonl_in_and_out() -> None:
    line = json.dumps({"id": "a", "text": "Ab\r\nc", "spans": [{"start": 4, "end": 5}]})
    (document,) = read(line + "\n", "jsonl")
    assert document == InputDocument("Ab\r\nc", "a", ((4, 5, None),))
    with pytest.raises(DocumentFormatError, match=r"in\.jsonl:1: .*outside the text"):
        read(json.dumps({"text": "ab", "spans": [[1, 9]]}), "jsonl")
    out = io.StringIO()
    write_documents([(linked(document), document)], out, "jsonl")
    record = json.loads(out.getvalue())
    assert record["spans"][0]["text"] == "c" and record["spans"][0]["start"] == 4


def test_formats_from_names() -> None:
    assert detect_format("x.bioc.xml") == "bioc.xml"
    assert detect_format("CDR.PubTator.txt") == "pubtator"
    assert detect_format("-") == "txt" and detect_format("a.jsonl") == "jsonl"
    with pytest.raises(ValueError, match="cannot tell"):
        detect_format("a.doc")


def test_a_pubtator_file_named_txt_is_recognised(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "corpus.txt"
    path.write_text(PUBTATOR)
    assert detect_format(str(path)) == "pubtator"
    path.write_text("just text\n")
    assert detect_format(str(path)) == "txt"


def test_a_document_line_past_the_limit_names_the_line_or_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(formats, "DOCUMENT_LINE_BYTES", 16)
    data = b"short one\n" + b"z" * 100 + b"\nthird\n"
    firsts = {"txt": b"short one\n", "jsonl": b'{"text": "a"}\n', "pubtator": b"1|t|a\n"}
    for fmt, first in firsts.items():
        with pytest.raises(DocumentFormatError, match=r"in\.\w+:2: a line longer than 16 bytes"):
            read(first + data[10:], fmt)
    skipped = Skipped()
    assert [d.text for d in read(data, "txt", strict=False, skipped=skipped)] == [
        "short one",
        "third",
    ]
    assert skipped.count == 1
