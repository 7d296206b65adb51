"""The service's fixtures: apps over the tiny index, and a real uvicorn server in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs the [serve] extra")

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from entitylink import ConceptIndex, Encoder, Linker  # noqa: E402
from entitylink.records import Candidate  # noqa: E402
from entitylink.service import Batching, Limits, ServiceConfig, create_app  # noqa: E402


class CountingLinker(Linker):
    """A linker that counts its ``link`` calls and, with ``delay``, sleeps in each."""

    def __init__(self, encoder: Encoder, index: ConceptIndex, delay: float = 0.0) -> None:
        super().__init__(encoder, index)
        self.delay = delay
        self.calls: list[list[str]] = []

    def link(self, mentions: Sequence[str], k: int = 10, **kwargs: Any) -> list[list[Candidate]]:
        self.calls.append(list(mentions))
        if self.delay:
            time.sleep(self.delay)
        return super().link(mentions, k, **kwargs)


@pytest.fixture
def tiny_linker(tiny_encoder: Encoder, tiny_index: ConceptIndex) -> CountingLinker:
    return CountingLinker(tiny_encoder, tiny_index)


@pytest.fixture
def minilm_linker(minilm: Encoder, sample_index: ConceptIndex) -> CountingLinker:
    """The sample index with the real MiniLM: distinct scores (the tiny BERT's are nearly tied)."""
    return CountingLinker(minilm, sample_index)


def same(got: list[list[Candidate]], want: list[list[Candidate]]) -> bool:
    """The same concepts in the same order, scores equal up to float noise (batch padding)."""
    return [[c.concept_id for c in m] for m in got] == [
        [c.concept_id for c in m] for m in want
    ] and all(
        abs(a.score - b.score) < 1e-5
        for m, n in zip(got, want, strict=True)
        for a, b in zip(m, n, strict=True)
    )


@pytest.fixture
def make_app(tiny_index: ConceptIndex, tiny_linker: CountingLinker) -> Callable[..., FastAPI]:
    """``make_app(linker=..., limits=Limits(...), batching=Batching(...))`` serving "tiny"."""

    def _make(
        linker: Linker | None = None,
        limits: Limits | None = None,
        batching: Batching | None = None,
    ) -> FastAPI:
        config = ServiceConfig(
            indexes=(("tiny", tiny_index.path),),
            limits=limits or Limits(),
            batching=batching or Batching(),
        )
        return create_app(config, linkers={"tiny": linker or tiny_linker})

    return _make


@pytest.fixture
def client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(make_app()) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(app: FastAPI, *, grace_s: float = 10.0) -> Iterator[tuple[str, uvicorn.Server]]:
    """A real uvicorn server on a free loopback port, in a thread: yields (base URL, server)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=grace_s
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(timeout=30)
