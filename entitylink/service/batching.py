"""Request batching: concurrent ``/link`` requests coalesced into one ``Linker.link`` call.

Requests queue their mentions; one loop takes what waits (up to ``max_batch`` mentions,
lingering ``max_wait_ms`` for more when fewer wait) and runs it in the one model thread, off
the event loop. While the model runs, new requests queue up and form the next batch, so the
batch grows with the load and the per-call cost is shared::

    batcher = Batcher(Batching(), metrics)        # inside the running event loop
    batcher.start()
    results = await batcher.link(linker, ["heart attack"], k=5)
    await batcher.close()                         # finishes what waits, then stops

The queue is bounded (:class:`~entitylink.errors.ServiceOverloadedError` beyond
``max_queue`` mentions) and a request that times out or whose client goes away takes its
pending mentions out of the queue.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from ..errors import ServiceOverloadedError
from ..linking.linker import Linker, type_set
from ..records import Candidate
from .config import Batching
from .metrics import Metrics

logger = logging.getLogger(__name__)

Results = list[list[Candidate]]
T = TypeVar("T")


@dataclass(eq=False)
class _Job:
    """One request's mentions, waiting for a batch."""

    linker: Linker
    mentions: Sequence[str]
    k: int
    threshold: float | None
    types: frozenset[str] | None
    future: asyncio.Future[Results] = field(repr=False)


class Batcher:
    """Coalesces link requests into batches run one at a time in a single worker thread."""

    def __init__(self, settings: Batching, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.batches = 0  # Linker.link calls made so far
        self._pending: collections.deque[_Job] = collections.deque()
        self._pending_mentions = 0
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="entitylink-model")

    def start(self) -> None:
        """Start the batch loop (call from within the running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="batcher")

    async def link(
        self,
        linker: Linker,
        mentions: Sequence[str],
        *,
        k: int,
        threshold: float | None = None,
        types: Collection[str] | None = None,
    ) -> Results:
        """``linker.link(mentions, k=k, threshold=threshold, types=types)``, batched."""
        if not mentions:
            return []
        if self._closing:
            raise ServiceOverloadedError("the service is shutting down", retry_after=1)
        limit = self.settings.max_queue
        if self._pending_mentions + len(mentions) > limit:
            self._count_rejected("queue_full")
            raise ServiceOverloadedError(
                f"the queue is full ({self._pending_mentions} mentions waiting, "
                f"max_queue={limit}); retry later",
                retry_after=1,
            )
        wanted = type_set(types)
        future: asyncio.Future[Results] = asyncio.get_running_loop().create_future()
        job = _Job(linker, mentions, k, threshold, wanted, future)
        self._pending.append(job)
        self._set_depth(self._pending_mentions + len(mentions))
        self._wakeup.set()
        try:
            return await asyncio.wait_for(future, self.settings.timeout_s)
        except TimeoutError:
            raise self._timed_out() from None
        finally:  # timed out or the client went away: its mentions leave the queue
            self._drop(job)

    async def run_alone(self, work: Callable[[], T]) -> T:
        """Run ``work`` in the model thread, between batches (model work that is not a
        ``link`` call, e.g. annotating texts): never two model calls at once."""
        if self._closing:
            raise ServiceOverloadedError("the service is shutting down", retry_after=1)
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._executor, work), self.settings.timeout_s
            )
        except TimeoutError:
            raise self._timed_out() from None

    async def close(self) -> None:
        """Answer what waits, then stop the loop and the worker thread."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    def _drop(self, job: _Job) -> None:
        if job in self._pending:
            self._pending.remove(job)
            self._set_depth(self._pending_mentions - len(job.mentions))

    def _set_depth(self, mentions: int) -> None:
        self._pending_mentions = mentions
        if self.metrics is not None:
            self.metrics.queue_depth.set(mentions)

    def _count_rejected(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.rejected.labels(reason=reason).inc()

    def _timed_out(self) -> ServiceOverloadedError:
        """Count a request that got no answer within ``timeout_s``; the error to raise."""
        self._count_rejected("timeout")
        return ServiceOverloadedError(
            f"no answer within timeout_s={self.settings.timeout_s:g} s; retry later",
            retry_after=1,
        )

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if not self._pending:
                if self._closing:
                    return
                continue
            await self._linger(loop)
            jobs = self._take()
            if not jobs:
                continue
            started = time.perf_counter()
            outcomes = await loop.run_in_executor(self._executor, _run, jobs)
            self._observe(jobs, time.perf_counter() - started)
            for job, outcome in zip(jobs, outcomes, strict=True):
                if job.future.done():  # timed out or cancelled meanwhile
                    continue
                if isinstance(outcome, BaseException):
                    job.future.set_exception(outcome)
                else:
                    job.future.set_result(outcome)
            if self._pending or self._closing:
                self._wakeup.set()

    async def _linger(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait up to ``max_wait_ms`` while fewer than ``max_batch`` mentions wait."""
        deadline = loop.time() + self.settings.max_wait_ms / 1000
        while self._pending_mentions < self.settings.max_batch and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                return

    def _take(self) -> list[_Job]:
        """Pop jobs while they fit in ``max_batch`` mentions (at least one job)."""
        jobs: list[_Job] = []
        size = 0
        while self._pending:
            job = self._pending[0]
            if jobs and size + len(job.mentions) > self.settings.max_batch:
                break
            self._pending.popleft()
            if not job.future.done():
                jobs.append(job)
                size += len(job.mentions)
        self._set_depth(sum(len(job.mentions) for job in self._pending))
        return jobs

    def _observe(self, jobs: list[_Job], seconds: float) -> None:
        self.batches += len({(id(job.linker), job.types) for job in jobs})
        if self.metrics is not None:
            self.metrics.batch_mentions.observe(sum(len(job.mentions) for job in jobs))
            self.metrics.batch_requests.observe(len(jobs))
            self.metrics.batch_seconds.observe(seconds)


def _run(jobs: list[_Job]) -> list[Results | BaseException]:
    """In the model thread: one ``link`` call per (linker, types) group, split back per job.

    The group is linked with the largest ``k`` asked and no threshold; each job then keeps its
    own ``k`` first candidates above its threshold (the same as linking it alone: candidates
    come best first, one per concept).
    """
    groups: dict[tuple[int, frozenset[str] | None], list[int]] = {}
    for position, job in enumerate(jobs):
        groups.setdefault((id(job.linker), job.types), []).append(position)
    outcomes: list[Results | BaseException] = [[] for _ in jobs]
    for positions in groups.values():
        members = [jobs[p] for p in positions]
        mentions = [m for job in members for m in job.mentions]
        try:
            found = members[0].linker.link(
                mentions, k=max(job.k for job in members), types=members[0].types
            )
        except Exception as exc:  # handed to each request of the group
            logger.exception("linking a batch of %d mentions failed", len(mentions))
            for p in positions:
                outcomes[p] = exc
            continue
        start = 0
        for p, job in zip(positions, members, strict=True):
            part = found[start : start + len(job.mentions)]
            start += len(job.mentions)
            outcomes[p] = [_trim(candidates, job.k, job.threshold) for candidates in part]
    return outcomes


def _trim(candidates: list[Candidate], k: int, threshold: float | None) -> list[Candidate]:
    kept = candidates[:k]
    return kept if threshold is None else [c for c in kept if c.score >= threshold]
