"""The API's input contract: what ``Linker.link``, ``Annotator`` and ``Linker.from_dir`` accept.

>>> texts(m for m in ("heart attack", "MI"))
['heart attack', 'MI']
>>> texts("heart attack")
Traceback (most recent call last):
...
entitylink.errors.InputError: mentions: a sequence of strings is wanted, got one str ...

- texts: a list or tuple of ``str`` (any other iterable, a generator say, is read once into a
  list); a bare ``str``, ``bytes``, a mapping, a set or a non-string element is an
  :class:`~entitylink.errors.InputError` naming the position and the type;
- counts (``k``, ``batch_size``): an ``int`` (not a ``bool``) of at least 1;
- scores (``threshold``, ``weight``): a finite ``int`` or ``float`` (not a ``bool``), or None.

Each check costs well under a microsecond per mention: a list of strings is checked in one pass.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterable, Collection, Iterable, Mapping, Set
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from ..errors import InputError

_NOT_SEQUENCES = (str, bytes, bytearray, memoryview, Mapping, Set)


def texts(value: Any, what: str = "mentions") -> list[str] | tuple[str, ...]:
    """``value`` as a list (or the tuple given) of strings, or an :class:`InputError`."""
    if type(value) is list or type(value) is tuple:  # the usual case: no copy
        given: list[Any] | tuple[Any, ...] = value
    elif isinstance(value, _NOT_SEQUENCES) or not isinstance(value, Iterable):
        kind = "one str" if isinstance(value, str) else _kind(value)
        hint = f" (wrap one text in a list: [{value!r}])" if isinstance(value, str) else ""
        if isinstance(value, AsyncIterable):
            hint = " (collect an async iterator into a list first)"
        raise InputError(f"{what}: a sequence of strings is wanted, got {kind}{hint}")
    else:
        given = list(value)  # a generator or other iterable: read once
    for position, text in enumerate(given):
        if type(text) is not str and not isinstance(text, str):
            raise InputError(f"{what}[{position}]: a str is wanted, got {_kind(text)}")
    return given


def count(value: Any, what: str) -> int:
    """A whole number of at least 1 (``k``, ``batch_size``)."""
    if type(value) is int and value >= 1:  # the usual case, without the ABC checks below
        return value
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InputError(f"{what} must be a whole number of at least 1, got {_kind(value)}")
    if value < 1:
        raise InputError(f"{what} must be at least 1, got {value}")
    return int(value)


def score(value: Any, what: str, *, minimum: float | None = None) -> float | None:
    """None, or a finite number (``threshold``; ``weight`` with ``minimum=0``)."""
    if value is None:
        return None
    if type(value) is float and math.isfinite(value) and (minimum is None or value >= minimum):
        return value  # the usual case, without the ABC checks below
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{what} must be a finite number or None, got {_kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, got {number}")
    if minimum is not None and number < minimum:
        raise InputError(f"{what} must be at least {minimum}, got {number}")
    return number


def types(value: Any) -> frozenset[str] | None:
    """The semantic types a caller asked for: None, one type as a bare string (``"T047"``, one
    type, not four characters), or a collection of strings."""
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset((value,))
    if not isinstance(value, Collection) or isinstance(value, bytes | bytearray | Mapping):
        raise InputError(f"types: a collection of strings is wanted, got {_kind(value)}")
    for item in value:
        if not isinstance(item, str):
            raise InputError(f"types: each type must be a str, got {_kind(item)}")
    return frozenset(value)


def path(value: Any, what: str = "path") -> Path:
    """A filesystem path given as ``str`` or ``os.PathLike[str]``."""
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        fspath = os.fspath(value)
        if isinstance(fspath, str) and fspath:
            return Path(fspath)
    raise InputError(f"{what}: a directory path (str or Path) is wanted, got {_kind(value)}")


def _kind(value: Any) -> str:
    """The type of ``value`` for a message: ``int``, ``NoneType``, ``dict``..."""
    return type(value).__name__
