"""Every endpoint, and every refusal: limits, malformed requests, unknown names, a full queue."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from entitylink import ConceptIndex
from entitylink.service import Batching, Limits, ServiceConfig, create_app
from entitylink.service.schemas import public_manifest

from .conftest import CountingLinker


def test_link_gives_the_python_api_records(client: TestClient, tiny_linker: CountingLinker) -> None:
    mentions = ["myocardial infarction", "heart attack", "  "]
    response = client.post("/link", json={"index": "tiny", "mentions": mentions, "k": 3})
    assert response.status_code == 200
    body = response.json()
    expected = tiny_linker.link(mentions, k=3)
    assert body["index"] == "tiny" and len(body["results"]) == 3
    for got, want in zip(body["results"], expected, strict=True):
        assert [c["concept_id"] for c in got] == [c.concept_id for c in want]
        assert [c["score"] for c in got] == pytest.approx([c.score for c in want])
        assert [tuple(c["types"]) for c in got] == [c.types for c in want]
    assert body["results"][2] == []  # blank: NIL


def test_link_threshold_and_types(client: TestClient, tiny_linker: CountingLinker) -> None:
    request = {"index": "tiny", "mentions": ["heart attack"], "k": 5}
    top = client.post("/link", json=request).json()["results"][0]
    cut = top[2]["score"]
    kept = client.post("/link", json={**request, "threshold": cut}).json()["results"][0]
    want = tiny_linker.link(["heart attack"], k=5, threshold=cut)[0]
    assert [c["concept_id"] for c in kept] == [c.concept_id for c in want]
    assert 3 <= len(kept) < 5 or top[2]["score"] == top[4]["score"]
    typed = client.post("/link", json={**request, "types": ["T047"]}).json()["results"][0]
    want = tiny_linker.link(["heart attack"], k=5, types=["T047"])[0]
    assert [c["concept_id"] for c in typed] == [c.concept_id for c in want]
    assert all("T047" in c["types"] for c in typed)


def test_concept_indexes_health_metrics_docs_page(
    client: TestClient, tiny_index: ConceptIndex
) -> None:
    concept = client.get("/concepts/tiny/C0027051").json()
    assert concept["concept_id"] == "C0027051"
    assert "heart attack" in [a.lower() for a in concept["aliases"]] and concept["types"]
    listed = client.get("/indexes").json()["indexes"]
    assert [i["name"] for i in listed] == ["tiny"]
    assert listed[0]["manifest"]["counts"] == tiny_index.manifest.counts
    assert client.get("/health").json() == {"status": "ok", "indexes": ["tiny"], "error": None}
    client.post("/link", json={"index": "tiny", "mentions": ["heart attack"]})
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'entitylink_requests_total{method="POST",route="/link",status="200"} 1.0' in text
    assert 'entitylink_request_seconds_count{route="/link"} 1.0' in text
    assert "entitylink_batch_mentions_count 1.0" in text and "entitylink_queue_mentions 0.0" in text
    # "heart attack" is a name of the index: its stored vector, no encoding
    assert 'entitylink_query_vectors_total{index="tiny",source="index"} 1.0' in text
    assert "/link" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and 'id="index"' in page.text
    assert "fetch(" in client.get("/static/app.js").text


def error(response: object, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body: dict[str, str] = response.json()  # type: ignore[attr-defined]
    return body


@pytest.fixture
def limited(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    limits = Limits(max_mentions=3, max_chars=20, max_body_bytes=2_000, max_k=7)
    with TestClient(make_app(limits=limits)) as test_client:
        yield test_client


def test_limits_are_named(limited: TestClient) -> None:
    post = limited.post
    body = error(post("/link", json={"index": "tiny", "mentions": ["a"] * 4}), 413)
    assert body["limit"] == "max_mentions" and "4 items, more than max_mentions=3" in body["error"]
    body = error(post("/link", json={"index": "tiny", "mentions": ["ok", "x" * 21]}), 422)
    assert body["limit"] == "max_chars" and body["error"].startswith("mentions[1]: 21 characters")
    body = error(post("/link", json={"index": "tiny", "mentions": ["a"], "k": 8}), 422)
    assert body["limit"] == "max_k"
    big = json.dumps({"index": "tiny", "mentions": ["a" * 3000]})
    headers = {"content-type": "application/json"}
    body = error(post("/link", content=big, headers=headers), 413)
    assert body["limit"] == "max_body_bytes"
    chunked = (big[i : i + 500].encode() for i in range(0, len(big), 500))  # no content-length
    assert error(post("/link", content=chunked, headers=headers), 413)["limit"] == "max_body_bytes"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ('{"index": "tiny", "mentions": ["a"', "body"),
        ('{"index": "tiny", "mentions": [1]}', "mentions[0]"),
        ('{"index": "tiny", "mentions": "heart attack"}', "mentions"),
        ('{"index": "tiny", "mentions": ["a"], "k": "5"}', "k"),
        ('{"index": "tiny", "mentions": ["a"], "k": 0}', "k"),
        ('{"index": "tiny", "mentions": ["a"], "k": NaN}', "k"),
        ('{"index": "tiny", "mentions": ["a"], "k": true}', "k"),
        ('{"index": "tiny", "mentions": ["a"], "threshold": "high"}', "threshold"),
        ('{"index": "tiny"}', "mentions"),
        ('{"index": "tiny", "mentions": ["a"], "kk": 5}', "kk"),
        ("[]", "body"),
    ],
)
def test_malformed_requests_name_the_field(client: TestClient, payload: str, field: str) -> None:
    response = client.post("/link", content=payload, headers={"content-type": "application/json"})
    body = error(response, 422)
    assert body["field"] == field, body
    assert body["error"]


def test_unknown_index_and_concept_are_404(client: TestClient) -> None:
    body = error(client.post("/link", json={"index": "nope", "mentions": ["a"]}), 404)
    assert body["error"] == "unknown index 'nope'; served: tiny"
    assert error(client.get("/concepts/nope/C0027051"), 404)["error"].startswith("unknown index")
    assert "no concept 'X1'" in error(client.get("/concepts/tiny/X1"), 404)["error"]


def test_a_full_queue_is_503_with_retry_after(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(batching=Batching(max_queue=2))) as client:
        response = client.post("/link", json={"index": "tiny", "mentions": ["a", "b", "c"]})
        body = error(response, 503)
        assert response.headers["retry-after"] == "1" and "max_queue=2" in body["error"]
        assert (
            client.post("/link", json={"index": "tiny", "mentions": ["a", "b"]}).status_code == 200
        )
        assert 'entitylink_rejected_total{reason="queue_full"} 1.0' in client.get("/metrics").text


def test_one_log_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="entitylink.service"):
        client.post("/link", json={"index": "tiny", "mentions": ["heart attack"]})
        client.get("/concepts/tiny/X1")
    lines = [r.getMessage() for r in caplog.records if r.name == "entitylink.service"]
    assert len(lines) == 2
    assert lines[0].startswith("POST /link 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("GET /concepts/tiny/X1 404 ")


def test_health_is_503_until_the_indexes_load(
    tiny_index: ConceptIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entitylink.service import ServiceConfig, create_app
    from entitylink.service.state import ServiceState

    loaded = threading.Event()  # the loading waits for it: no race with the requests below
    load_one = ServiceState._load_one

    def held_load(self: ServiceState, path: object) -> object:
        assert loaded.wait(30), "the test never released the loading"
        return load_one(self, path)

    monkeypatch.setattr(ServiceState, "_load_one", held_load)
    app = create_app(ServiceConfig(indexes=(("tiny", tiny_index.path),)))
    with TestClient(app) as client:
        assert error(client.get("/health"), 503)["status"] == "loading"
        assert error(client.post("/link", json={"index": "tiny", "mentions": ["a"]}), 503)
        loaded.set()
        for _ in range(300):
            if client.get("/health").status_code == 200:
                break
            time.sleep(0.05)
        assert client.get("/health").json()["status"] == "ok"
        response = client.post("/link", json={"index": "tiny", "mentions": ["heart attack"]})
        assert response.status_code == 200 and response.json()["results"][0]


def test_a_failed_load_is_reported(tmp_path: object) -> None:
    from pathlib import Path

    from entitylink.service import ServiceConfig, create_app

    app = create_app(ServiceConfig(indexes=(("gone", Path(str(tmp_path)) / "missing"),)))
    with TestClient(app) as client:
        for _ in range(200):
            body = client.get("/health").json()
            if body["status"] != "loading":
                break
            import time

            time.sleep(0.02)
        assert body["status"] == "failed" and "missing" in body["error"]


def test_every_http_error_has_the_one_shape(client: TestClient) -> None:
    shape = {"error", "limit", "field"}
    missing = error(client.get("/nowhere"), 404)
    assert missing.keys() == shape and "no route /nowhere" in missing["error"]
    response = client.get("/link")
    wrong = error(response, 405)
    assert wrong.keys() == shape and wrong["error"] == "method GET not allowed on /link"
    assert response.headers["allow"] == "POST"
    headers = {"content-type": "application/json"}
    bad_bytes = error(client.post("/link", content=b"\xff\xfe{", headers=headers), 422)
    assert bad_bytes == {
        "error": "malformed JSON: the body is not UTF-8 JSON",
        "limit": None,
        "field": "body",
    }
    assert error(client.get("/static/nothing.js"), 404).keys() == shape


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("route", ["/link", "/annotate"])
def test_a_threshold_that_is_not_finite_is_refused(
    client: TestClient, route: str, value: str
) -> None:
    texts = '"mentions": ["heart attack"]' if route == "/link" else '"text": "heart attack"'
    payload = f'{{"index": "tiny", {texts}, "threshold": {value}}}'
    response = client.post(route, content=payload, headers={"content-type": "application/json"})
    body = error(response, 422)
    assert body["field"] == "threshold" and "finite" in body["error"]


def test_an_unexpected_failure_is_500_in_the_same_shape(
    make_app: Callable[..., FastAPI], tiny_linker: CountingLinker
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    tiny_linker.index.store.get = broken  # type: ignore[method-assign]
    try:
        with TestClient(make_app(), raise_server_exceptions=False) as test_client:
            body = error(test_client.get("/concepts/tiny/C0027051"), 500)
    finally:
        del tiny_linker.index.store.get
    assert body == {"error": "internal error (RuntimeError)", "limit": None, "field": None}


def test_indexes_show_public_fields_only_unless_configured(
    client: TestClient, tiny_index: ConceptIndex, tiny_linker: CountingLinker
) -> None:
    listed = client.get("/indexes").json()["indexes"][0]
    text = json.dumps(listed)
    assert "path" not in listed and str(tiny_index.path) not in text
    manifest = listed["manifest"]
    assert not {"checksums", "files", "build_seconds"} & manifest.keys()
    assert manifest["counts"] == tiny_index.manifest.counts
    vocabulary = {"paths": ["/data/umls/MRCONSO.RRF"], "format": "umls", "sha256": "ab12"}
    built = dataclasses.replace(tiny_index.manifest, vocabulary=vocabulary)
    assert public_manifest(built)["vocabulary"] == {"format": "umls", "files": ["MRCONSO.RRF"]}
    assert "/" not in manifest["encoder"]["model"]  # a local model: its name, not its path
    assert list(manifest["versions"]) == ["entitylink"]
    config = ServiceConfig(indexes=(("tiny", tiny_index.path),), show_paths=True)
    with TestClient(create_app(config, linkers={"tiny": tiny_linker})) as shown:
        listed = shown.get("/indexes").json()["indexes"][0]
    assert listed["path"] == str(tiny_index.path)
    assert listed["manifest"]["checksums"] == tiny_index.manifest.checksums
