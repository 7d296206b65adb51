"""Handing memory back to the system after large work (glibc's ``malloc_trim``)."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). After a batch of 424 MEDIC mentions the activations' freed memory stayed in
    the process: 13 MB against 28 MB without, for 1-2 ms a call (too dear per mention)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
