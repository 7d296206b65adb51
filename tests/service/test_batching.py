"""The batcher: concurrent requests give the results of separate calls, in fewer calls; a
request that times out or is cancelled leaves nothing in the queue."""

from __future__ import annotations

import asyncio
import time

import pytest

from entitylink import ConceptIndex, Encoder
from entitylink.errors import ServiceOverloadedError
from entitylink.service import Batching
from entitylink.service.batching import Batcher
from entitylink.service.metrics import Metrics

from .conftest import CountingLinker, same

MENTIONS = ["heart attack", "type 2 diabetes", "covid-19 infection", "NIDDM", "asthma", "flu"]


def test_concurrent_requests_share_calls_and_results(minilm_linker: CountingLinker) -> None:
    tiny_linker = minilm_linker
    requests = [
        (MENTIONS[i % 6 : i % 6 + 1 + i % 3], 1 + i % 5, None if i % 4 else 0.1) for i in range(12)
    ]
    alone = [tiny_linker.link(m, k=k, threshold=t) for m, k, t in requests]
    tiny_linker.calls.clear()
    metrics = Metrics()

    async def run() -> list[list[list[object]]]:
        batcher = Batcher(Batching(max_batch=64, max_wait_ms=20), metrics)
        batcher.start()
        found = await asyncio.gather(
            *(batcher.link(tiny_linker, m, k=k, threshold=t) for m, k, t in requests)
        )
        await batcher.close()
        assert batcher.batches == len(tiny_linker.calls)
        return found  # type: ignore[return-value]

    found = asyncio.run(run())
    assert all(same(got, want) for got, want in zip(found, alone, strict=True))
    assert 1 <= len(tiny_linker.calls) <= 3  # 12 requests, a few calls
    assert sum(len(c) for c in tiny_linker.calls) == sum(len(m) for m, _, _ in requests)
    assert metrics.batch_requests.collect()[0].samples  # observed


def test_batches_respect_max_batch_and_types(tiny_linker: CountingLinker) -> None:
    async def run() -> None:
        batcher = Batcher(Batching(max_batch=4, max_wait_ms=20))
        batcher.start()
        typed = batcher.link(tiny_linker, ["heart attack"], k=3, types=["T047"])
        plain = [batcher.link(tiny_linker, [m], k=3) for m in MENTIONS]
        got = await asyncio.gather(typed, *plain)
        await batcher.close()
        assert all("T047" in c.types for c in got[0][0]) and len(got[0][0]) == 3

    asyncio.run(run())
    assert max(len(c) for c in tiny_linker.calls) <= 4
    assert len(tiny_linker.calls) >= 3  # 7 mentions in batches of 4 at most, the typed one apart


def test_a_timed_out_request_leaves_no_work_behind(
    tiny_encoder: Encoder, tiny_index: ConceptIndex
) -> None:
    slow = CountingLinker(tiny_encoder, tiny_index, delay=0.4)

    async def run() -> None:
        batcher = Batcher(Batching(max_batch=1, max_wait_ms=0.1, timeout_s=0.2))
        batcher.start()
        first = asyncio.ensure_future(batcher.link(slow, ["heart attack"], k=1))
        await asyncio.sleep(0.05)  # the first is in the model thread now
        with pytest.raises(ServiceOverloadedError, match="timeout_s=0.2"):
            await batcher.link(slow, ["asthma"], k=1)  # waits behind it, times out
        assert batcher._pending_mentions == 0 and not batcher._pending
        with pytest.raises(ServiceOverloadedError):
            await first  # timed out too, in the model thread: its result is dropped
        await batcher.close()

    asyncio.run(run())
    assert slow.calls == [["heart attack"]]  # "asthma" never reached the model


def test_a_cancelled_request_leaves_the_queue(
    tiny_encoder: Encoder, tiny_index: ConceptIndex
) -> None:
    slow = CountingLinker(tiny_encoder, tiny_index, delay=0.2)

    async def run() -> None:
        batcher = Batcher(Batching(max_batch=1, max_wait_ms=0.1))
        batcher.start()
        first = asyncio.ensure_future(batcher.link(slow, ["heart attack"], k=1))
        await asyncio.sleep(0.05)
        gone = asyncio.ensure_future(batcher.link(slow, ["asthma"], k=1))
        await asyncio.sleep(0.01)
        assert batcher._pending_mentions == 1
        gone.cancel()  # the client went away
        await asyncio.gather(gone, return_exceptions=True)
        assert batcher._pending_mentions == 0
        assert (await first)[0]
        await batcher.close()

    asyncio.run(run())
    assert slow.calls == [["heart attack"]]


def test_queue_bound_and_close(tiny_linker: CountingLinker) -> None:
    async def run() -> None:
        batcher = Batcher(Batching(max_queue=3, max_wait_ms=50))
        batcher.start()
        waiting = asyncio.ensure_future(batcher.link(tiny_linker, ["a", "b"], k=1))
        await asyncio.sleep(0)
        with pytest.raises(ServiceOverloadedError, match="queue is full"):
            await batcher.link(tiny_linker, ["c", "d"], k=1)
        started = time.perf_counter()
        await batcher.close()  # answers what waits first
        assert len(await waiting) == 2 and time.perf_counter() - started < 5
        with pytest.raises(ServiceOverloadedError, match="shutting down"):
            await batcher.link(tiny_linker, ["e"], k=1)

    asyncio.run(run())


def test_a_failing_batch_fails_its_requests_only(tiny_linker: CountingLinker) -> None:
    async def run() -> None:
        batcher = Batcher(Batching(max_wait_ms=20))
        batcher.start()
        bad = batcher.link(tiny_linker, ["heart attack"], k=1, types=["T047"])
        tiny_linker._selectors[frozenset({"T047"})] = "not a selector"  # type: ignore[assignment]
        good = batcher.link(tiny_linker, ["heart attack"], k=1)
        outcomes = await asyncio.gather(bad, good, return_exceptions=True)
        await batcher.close()
        assert isinstance(outcomes[0], Exception) and outcomes[1][0]  # type: ignore[index]

    asyncio.run(run())


def test_run_alone_uses_the_model_thread(tiny_linker: CountingLinker) -> None:
    import threading

    async def run() -> None:
        batcher = Batcher(Batching())
        batcher.start()
        name = await batcher.run_alone(lambda: threading.current_thread().name)
        found = await batcher.run_alone(lambda: tiny_linker.link(["asthma"], k=2))
        await batcher.close()
        assert name.startswith("entitylink-model") and len(found[0]) == 2

    asyncio.run(run())
