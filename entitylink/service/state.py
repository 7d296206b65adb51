"""What a running app holds: its config, the loaded linkers, the batcher and the metrics.

The indexes load in the background after start-up (``/health`` answers ``loading`` until they
are all in); requests that need one before then get a 503.

A served directory that gets a new generation (``entitylink update``, ``compact``) is loaded
again and swapped in: found by a look at its manifest every ``reload_poll_s`` seconds, or on
``POST /admin/reload``. Requests in flight keep the linker they took and finish on the old
generation; one that fails to load leaves the old one served, and the log says why.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import EntityLinkError, ServiceOverloadedError, UnknownResourceError
from ..index.layout import MANIFEST
from ..index.manifest import IndexManifest
from ..linking.detectors import DictionaryDetector
from ..linking.linker import Linker
from ..linking.queries import QueryCounts
from .batching import Batcher
from .config import ServiceConfig
from .metrics import Metrics

logger = logging.getLogger(__name__)

LOADING, READY, FAILED = "loading", "ok", "failed"


class ServiceState:
    """The app's state (``app.state.service``); ``linkers`` given up front skip the loading."""

    def __init__(self, config: ServiceConfig, linkers: Mapping[str, Linker] | None = None) -> None:
        self.config = config
        self.metrics = Metrics()
        self.linkers: dict[str, Linker] = dict(linkers or {})
        self.status = READY if linkers is not None else LOADING
        self.error: str | None = None
        self._batcher: Batcher | None = None
        self._detectors: dict[str, DictionaryDetector] = {}
        self._stamps: dict[str, tuple[int, int, int]] = {}  # each manifest's inode, mtime, size
        self._reloading = asyncio.Lock()
        self._watch: asyncio.Task[None] | None = None
        self.metrics.watch_queries(self._query_counts)

    def _query_counts(self) -> dict[str, QueryCounts]:
        return {name: linker.queries.counts for name, linker in self.linkers.items()}

    @property
    def batcher(self) -> Batcher:
        if self._batcher is None:
            raise ServiceOverloadedError("the service is starting", retry_after=1)
        return self._batcher

    def start(self) -> asyncio.Task[None] | None:
        """Start the batcher, and the loading of the indexes unless they were given."""
        self._batcher = Batcher(self.config.batching, self.metrics)
        self._batcher.start()
        if self.config.reload_poll_s > 0:
            for name, path in self.config.indexes:
                self._stamps[name] = _stamp(path)
            self._watch = asyncio.get_running_loop().create_task(self._poll(), name="watch")
        if self.status == READY:
            return None
        return asyncio.get_running_loop().create_task(self._load(), name="load-indexes")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        if self._batcher is not None:
            await self._batcher.close()

    def linker(self, name: str) -> Linker:
        """The linker of the index ``name``; 404 when no such index is served, 503 while loading."""
        if name not in dict(self.config.indexes):
            served = ", ".join(n for n, _ in self.config.indexes)
            raise UnknownResourceError(f"unknown index {name!r}; served: {served}")
        if self.status != READY:
            raise ServiceOverloadedError(f"the indexes are {self.status}", retry_after=2)
        return self.linkers[name]

    def detector(self, name: str) -> DictionaryDetector:
        """The dictionary detector of a loaded index, built on first use (seconds for MEDIC);
        call it in the model thread, which builds one at a time."""
        if name not in self._detectors:
            self._detectors[name] = DictionaryDetector.from_store(self.linkers[name].index.store)
        return self._detectors[name]

    async def _load(self) -> None:
        try:
            for name, path in self.config.indexes:
                linker = await asyncio.to_thread(self._load_one, path)
                self.linkers[name] = linker
                logger.info("index %s loaded from %s", name, path)
        except Exception as exc:
            self.status, self.error = FAILED, str(exc)
            logger.error("loading the indexes failed: %s", exc)
            return
        self.status = READY
        logger.info("ready: %s", ", ".join(self.linkers))

    async def reload(self, name: str) -> dict[str, Any]:
        """Load the current generation of index ``name`` and swap it in (one reload at a time);
        on failure keep the old one. Returns what happened, for ``/admin/reload``."""
        async with self._reloading:
            old = self.linkers[name]
            try:
                new = await asyncio.to_thread(self._reload_one, old)
            except (EntityLinkError, ValueError, OSError) as exc:
                self.metrics.reloads.labels(name, "failed").inc()
                logger.error("reloading index %s failed, still serving the old one: %s", name, exc)
                generation = old.index.manifest.generation
                return {
                    "index": name,
                    "generation": generation,
                    "reloaded": False,
                    "error": str(exc),
                }
            self.linkers[name] = new  # requests in flight hold the old linker
            self._detectors.pop(name, None)
            self.metrics.reloads.labels(name, "ok").inc()
            generation = new.index.manifest.generation
            logger.info("index %s: generation %d swapped in", name, generation)
            return {"index": name, "generation": generation, "reloaded": True, "error": None}

    async def _poll(self) -> None:
        """Every ``reload_poll_s`` seconds, reload each index whose manifest changed (its file
        replaced or rewritten, and its checksum differs from the one served)."""
        while True:
            await asyncio.sleep(self.config.reload_poll_s)
            if self.status != READY:
                continue
            for name, path in self.config.indexes:
                stamp = _stamp(path)
                if stamp == self._stamps.get(name):
                    continue
                self._stamps[name] = stamp
                if await asyncio.to_thread(self._is_new, name, path):
                    await self.reload(name)

    def _is_new(self, name: str, path: Path) -> bool:
        try:
            current = IndexManifest.read(Path(path)).manifest_checksum
        except EntityLinkError as exc:
            logger.warning("index %s: its manifest cannot be read now (%s)", name, exc)
            return False
        return current != self.linkers[name].index.manifest.manifest_checksum

    def _reload_one(self, old: Linker) -> Linker:
        linker = old.reloaded(self.config.load)
        linker.link(["warm up"], k=1)
        return linker

    def _load_one(self, path: object) -> Linker:
        linker = Linker.from_dir(str(path), self.config.load)
        linker.link(["warm up"], k=1)  # the first call pays one-off costs; not a client
        return linker


def _stamp(path: Path) -> tuple[int, int, int]:
    """The manifest's inode, mtime and size (all 0 when it cannot be read)."""
    try:
        found = os.stat(Path(path) / MANIFEST)
    except OSError:
        return (0, 0, 0)
    return (found.st_ino, found.st_mtime_ns, found.st_size)
