"""What a running app holds: its config, the loaded linkers, the batcher and the metrics.

The indexes load in the background after start-up (``/health`` answers ``loading`` until they
are all in); requests that need one before then get a 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from ..errors import ServiceOverloadedError, UnknownResourceError
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
        if self.status == READY:
            return None
        return asyncio.get_running_loop().create_task(self._load(), name="load-indexes")

    async def stop(self) -> None:
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

    def _load_one(self, path: object) -> Linker:
        linker = Linker.from_dir(str(path), self.config.load)
        linker.link(["warm up"], k=1)  # the first call pays one-off costs; not a client
        return linker
