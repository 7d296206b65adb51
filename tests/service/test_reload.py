"""The service follows its index: a new generation (entitylink update) is swapped in while
clients keep sending requests, none of which fails; /admin/reload answers loopback only."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from entitylink import Concept, ConceptIndex, Encoder, Linker
from entitylink.index.update import update_index
from entitylink.service import ServiceConfig, create_app


def served(tiny_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path, poll: float) -> tuple:
    path = tmp_path / "tiny"
    shutil.copytree(tiny_index.path, path)
    config = ServiceConfig(indexes=(("tiny", path),), reload_poll_s=poll)
    linker = Linker(tiny_encoder, ConceptIndex.load(path))
    return path, create_app(config, linkers={"tiny": linker})


def test_a_new_generation_is_swapped_in_under_load_without_a_failed_request(
    tiny_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path
) -> None:
    from tests.service.conftest import running_server

    path, app = served(tiny_index, tiny_encoder, tmp_path, poll=0.2)
    statuses: list[int] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                body = {"index": "tiny", "mentions": ["heart attack", "fever"], "k": 3}
                statuses.append(http.post(f"{url}/link", json=body).status_code)

    with running_server(app) as (url, _):
        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        update_index(path, [Concept("LOCAL1", "heart attack local")], remove=["C0027051"])
        deadline = time.monotonic() + 20
        generation = 0
        while generation != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
            generation = httpx.get(f"{url}/indexes").json()["indexes"][0]["generation"]
        time.sleep(0.5)  # requests keep coming on the new generation
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        metrics = httpx.get(f"{url}/metrics").text
        found = httpx.post(
            f"{url}/link", json={"index": "tiny", "mentions": ["heart attack"], "k": 50}
        ).json()
    assert generation == 1
    assert statuses and set(statuses) == {200}, f"{len(statuses)} requests: {set(statuses)}"
    assert 'entitylink_reloads_total{index="tiny",result="ok"} 1.0' in metrics
    assert "C0027051" not in {c["concept_id"] for c in found["results"][0]}


def test_admin_reload_is_for_loopback_and_a_failed_reload_keeps_serving(
    tiny_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path
) -> None:
    from tests.service.conftest import running_server

    path, app = served(tiny_index, tiny_encoder, tmp_path, poll=0)
    with TestClient(app) as test_client:  # its client is "testclient", not loopback
        assert test_client.post("/admin/reload").status_code == 403
    with running_server(app) as (url, _):
        update_index(path, remove=["C0027051"])
        answer = httpx.post(f"{url}/admin/reload?index=tiny").json()["reloads"][0]
        assert (answer["generation"], answer["reloaded"]) == (1, True)
        edited = (path / "manifest.json").read_text().replace('"generation": 1', '"generation": 7')
        (path / "edited.json").write_text(edited)  # its own checksum no longer matches
        (path / "edited.json").replace(path / "manifest.json")  # the next load fails
        failed = httpx.post(f"{url}/admin/reload").json()["reloads"][0]
        assert (failed["reloaded"], failed["generation"]) == (False, 1) and failed["error"]
        body = {"index": "tiny", "mentions": ["fever"], "k": 1}
        assert httpx.post(f"{url}/link", json=body).status_code == 200
        assert httpx.post(f"{url}/admin/reload?index=nope").status_code == 404
        metrics = httpx.get(f"{url}/metrics").text
    assert 'entitylink_reloads_total{index="tiny",result="failed"} 1.0' in metrics
