"""Seconds per stage of linking, for benchmarks: pass a :class:`StageTimes` to ``link()``.

>>> times = StageTimes()
>>> with times.stage("encode"):
...     pass
>>> sorted(times.seconds)
['encode']
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


class StageTimes:
    """Seconds spent in each named stage, added up over calls (``seconds``, by stage)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the time spent inside the ``with`` block to stage ``name``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed


def timed(times: StageTimes | None, name: str) -> contextlib.AbstractContextManager[None]:
    """``times.stage(name)``, or nothing when no one is timing."""
    return contextlib.nullcontext() if times is None else times.stage(name)
