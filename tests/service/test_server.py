"""A real uvicorn server: concurrent clients are batched, and shutdown lets requests finish."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from entitylink import ConceptIndex, Encoder
from entitylink.cli import main
from entitylink.encoding.threads import ENV_THREADS, worker_threads
from entitylink.errors import ServiceStartError
from entitylink.service import Batching, Limits, ServiceConfig, create_app, server
from entitylink.service.config import CONFIG_ENV

from .conftest import CountingLinker, free_port, running_server


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
    server.serve(config, workers=2, port=free_port())
    assert ran and ran[0]["workers"] == 2
    assert os.environ[ENV_THREADS] == str(worker_threads(2))


@contextmanager
def deadline_server(app: FastAPI, config: ServiceConfig) -> Iterator[int]:
    """uvicorn as ``serve`` configures it (the header deadline), on a free port: yields it."""
    port = free_port()
    options = server.uvicorn_options(config, host="127.0.0.1", port=port)
    uv = uvicorn.Server(uvicorn.Config(app, **{**options, "log_level": "warning"}))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        uv.should_exit = True
        thread.join(timeout=30)


def _seconds_until_closed(port: int, sent: bytes) -> tuple[float, bytes]:
    """Send ``sent`` and read until the server closes the connection: (seconds, what came)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(20)
        sock.sendall(sent)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    return time.monotonic() - started, received


def test_slow_headers_and_a_missing_body_are_dropped(
    make_app: Callable[..., FastAPI], tiny_index: ConceptIndex
) -> None:
    limits = Limits(header_timeout_s=1.0, body_timeout_s=1.0)
    config = ServiceConfig(indexes=(("tiny", tiny_index.path),), limits=limits)
    with deadline_server(make_app(limits=limits), config) as port:
        half = b"POST /link HTTP/1.1\r\nHost: localhost\r\nContent-Type: appl"
        seconds, received = _seconds_until_closed(port, half)
        assert 0.9 < seconds < 4 and received == b""
        head = (
            b"POST /link HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        seconds, received = _seconds_until_closed(port, head)
        assert 0.9 < seconds < 4
        assert received.startswith(b"HTTP/1.1 408 ") and b'"limit":"body_timeout_s"' in received
        idle, _ = _seconds_until_closed(port, b"")  # nothing sent at all: closed as well
        assert idle < 4
        fine = httpx.post(
            f"http://127.0.0.1:{port}/link", json={"index": "tiny", "mentions": ["asthma"]}
        )
        assert fine.status_code == 200  # a prompt client is served as before


def test_a_port_in_use_fails_before_loading(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        code = main(["serve", "--index", str(tmp_path / "missing"), "--port", str(port)])
        assert code == 1 and time.monotonic() - started < 5
    err = capsys.readouterr().err.strip().splitlines()
    assert [line for line in err if line.startswith("error:")] == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "choose another --port or --host"
    ]
    assert not [line for line in err if "Errno" in line or "missing" in line]
    with pytest.raises(ServiceStartError):
        server.bind("192.0.2.1", free_port())  # TEST-NET: not this machine's address


def test_serve_verify_checks_the_files_end_to_end(
    tiny_index: ConceptIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --verify`` reaches the loading: a changed byte in the FAISS file is a failed
    /health naming the checksum, while the same copy loads without --verify."""
    copy = tmp_path / "tiny"
    shutil.copytree(tiny_index.path, copy)
    vectors = copy / "vectors.faiss"
    data = bytearray(vectors.read_bytes())
    # a low mantissa bit of the last float: same size, same norms, only the checksum sees it
    # (its exponent byte, data[-1], is found by the load's norm probes without --verify)
    data[-4] ^= 0x01
    vectors.write_bytes(bytes(data))
    served: list[ServiceConfig] = []

    def started(config: ServiceConfig, *, sock: socket.socket, **options: Any) -> None:
        sock.close()  # bound by the command before anything else
        served.append(config)

    monkeypatch.setattr(server, "serve", started)
    port = str(free_port())
    argv = ["serve", "--index", str(copy), "--port", port, "--backend", "torch"]
    assert main([*argv, "--verify"]) == 0 and main(argv) == 0
    verified, plain = served
    assert verified.load.verify and not plain.load.verify
    with TestClient(create_app(verified)) as client:
        body = _settled(client)
    assert body["status"] == "failed" and "checksum" in body["error"]
    with TestClient(create_app(plain)) as client:
        assert _settled(client)["status"] == "ok"


def _settled(client: TestClient) -> dict[str, Any]:
    for _ in range(600):
        body: dict[str, Any] = client.get("/health").json()
        if body["status"] != "loading":
            return body
        time.sleep(0.05)
    raise AssertionError("the index never loaded")


def test_accepted_connections_send_without_delay() -> None:
    """The listening socket says it is TCP, so asyncio sets TCP_NODELAY on each connection:
    without it every response waited ~40 ms (its head and body are written apart, and the
    body waited for the client's delayed ACK of the head)."""
    import asyncio

    sock = server.bind("127.0.0.1", 0)
    nodelay: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            nodelay.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        listening = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with listening:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            for _ in range(100):
                if nodelay:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(accept_one())
    assert nodelay == [1]
