"""POST /annotate: the same documents as the Python API, and its refusals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from entitylink import Annotator
from entitylink.linking.thresholds import DICTIONARY_THRESHOLD
from entitylink.service import Limits

from .conftest import CountingLinker
from .test_routes import error

TEXT = "A heart attack (MI) at 40. Myocardial infarction is common; the MI was treated."


def test_annotate_gives_the_python_api_documents(
    client: TestClient, tiny_linker: CountingLinker
) -> None:
    body = client.post("/annotate", json={"index": "tiny", "text": TEXT, "k": 3}).json()
    want = Annotator(tiny_linker, k=3, threshold=DICTIONARY_THRESHOLD).annotate([TEXT])[0]
    (document,) = body["documents"]
    assert body["index"] == "tiny" and document["text"] == TEXT and want.spans
    got = [(s["start"], s["end"], s["text"], s["linked_text"]) for s in document["spans"]]
    assert got == [(s.start, s.end, s.text, s.linked_text) for s in want.spans]
    for span, expected in zip(document["spans"], want.spans, strict=True):
        assert [c["concept_id"] for c in span["candidates"]] == [
            c.concept_id for c in expected.candidates
        ]
        assert TEXT[span["start"] : span["end"]] == span["text"]
    assert document["abbreviations"] == [list(pair) for pair in want.abbreviations]


def test_annotate_several_texts_and_a_threshold(client: TestClient) -> None:
    texts = [TEXT, "", "nothing to find here"]
    body = client.post("/annotate", json={"index": "tiny", "texts": texts}).json()
    assert [d["text"] for d in body["documents"]] == texts
    assert body["documents"][1]["spans"] == []
    strict = {"index": "tiny", "text": TEXT, "threshold": 1.01}  # above every cosine: all NIL
    assert client.post("/annotate", json=strict).json()["documents"][0]["spans"] == []


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"index": "tiny"}, 422),  # neither text nor texts
        ({"index": "tiny", "text": "a", "texts": ["b"]}, 422),  # both
        ({"index": "tiny", "text": 5}, 422),
        ({"index": "nope", "text": "a"}, 404),
    ],
)
def test_annotate_refuses_bad_requests(
    client: TestClient, payload: dict[str, object], status: int
) -> None:
    assert error(client.post("/annotate", json=payload), status)["error"]


def test_annotate_limits(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(limits=Limits(max_mentions=2, max_text_chars=30))) as limited:
        body = error(limited.post("/annotate", json={"index": "tiny", "text": "x" * 31}), 422)
        assert body["limit"] == "max_text_chars" and body["error"].startswith("text[0]: 31")
        body = error(limited.post("/annotate", json={"index": "tiny", "texts": ["a"] * 3}), 413)
        assert body["limit"] == "max_mentions"
