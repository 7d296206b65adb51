"""A real uvicorn server: concurrent clients are batched, and shutdown lets requests finish."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from entitylink import ConceptIndex, Encoder
from entitylink.encoding.threads import ENV_THREADS, worker_threads
from entitylink.service import Batching, ServiceConfig, server
from entitylink.service.config import CONFIG_ENV

from .conftest import CountingLinker, running_server


def test_concurrent_http_clients_are_batched(
    make_app: Callable[..., FastAPI], tiny_encoder: Encoder, tiny_index: ConceptIndex
) -> None:
    linker = CountingLinker(tiny_encoder, tiny_index, delay=0.05)  # batches form behind it
    app = make_app(linker=linker, batching=Batching(max_wait_ms=5))
    mentions = [f"heart attack {i}" for i in range(32)]
    with running_server(app) as (url, _), httpx.Client(base_url=url) as client:

        def post(mention: str) -> int:
            body = {"index": "tiny", "mentions": [mention], "k": 2}
            response = client.post("/link", json=body, timeout=30)
            return len(response.json()["results"][0]) if response.status_code == 200 else -1

        with ThreadPoolExecutor(16) as pool:
            counts = list(pool.map(post, mentions))
        metrics = client.get("/metrics").text
    assert counts == [2] * 32
    assert len(linker.calls) < 32 and sum(map(len, linker.calls)) == 32
    batches = float(re.search(r"^entitylink_batch_mentions_count (\S+)", metrics, re.M)[1])  # type: ignore[index]
    assert batches == len(linker.calls)


def test_shutdown_lets_requests_in_flight_finish(
    make_app: Callable[..., FastAPI], tiny_encoder: Encoder, tiny_index: ConceptIndex
) -> None:
    slow = CountingLinker(tiny_encoder, tiny_index, delay=0.6)
    app = make_app(linker=slow, batching=Batching(max_batch=1, max_wait_ms=0.1))
    answers: list[int] = []
    with running_server(app) as (url, server):

        def post(mention: str) -> None:
            body = {"index": "tiny", "mentions": [mention], "k": 1}
            answers.append(httpx.post(f"{url}/link", json=body, timeout=30).status_code)

        threads = [threading.Thread(target=post, args=(m,)) for m in ("heart attack", "asthma")]
        for thread in threads:
            thread.start()
        while len(slow.calls) < 1:  # the first is in the model, the second queued behind it
            time.sleep(0.01)
        time.sleep(0.05)
        server.should_exit = True  # what SIGTERM does
        stopped = time.monotonic()
        for thread in threads:
            thread.join(timeout=30)
        refused = False
        while not refused and time.monotonic() - stopped < 30:
            try:
                httpx.get(f"{url}/health", timeout=2)
                time.sleep(0.05)
            except httpx.TransportError:
                refused = True
    assert answers == [200, 200]  # both finished, the queued one included
    assert [c[0] for c in slow.calls] == ["heart attack", "asthma"] or len(slow.calls) == 2
    assert refused  # and the server is gone


def test_serve_gives_each_worker_its_share_of_the_cores(
    tiny_index: ConceptIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --workers N`` records the thread share its worker processes inherit (issue 17's
    policy): two workers on this machine each get ``cores // 2`` threads for large batches."""
    for name in (ENV_THREADS, CONFIG_ENV):  # set by serve(); undone after the test
        monkeypatch.setenv(name, "")
    ran: list[dict[str, Any]] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda *args, **options: ran.append(options))
    config = ServiceConfig(indexes=(("tiny", tiny_index.path),))
    server.serve(config, workers=2)
    assert ran and ran[0]["workers"] == 2
    assert os.environ[ENV_THREADS] == str(worker_threads(2))
