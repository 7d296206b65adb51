"""Reading lines of user input in bounded memory: a line past a limit is an error, not a heap.

Every reader of user text lines (``link --input``, the documents of ``annotate``) goes through
:func:`bounded_lines`, which reads at most ``limit + 1`` bytes per call, so one endless line
(``/dev/zero``, a file without a line break) costs ``limit`` bytes, then an error naming
``FILE:LINE``; with ``skip`` the rest of that line is read past in small pieces and counted.

>>> for number, raw in bounded_lines(open("mentions.txt", "rb"), "mentions.txt",
...                                  limit=MENTION_LINE_BYTES):            # doctest: +SKIP
...     print(number, raw)
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import IO, Any

from .errors import EntityLinkError

MENTION_LINE_BYTES = 1 << 20  # one line of `link --input`: a mention, not a document
DOCUMENT_LINE_BYTES = 256 << 20  # one line of a document file (a whole text document, a JSONL one)
TABLE_LINE_BYTES = 16 << 20  # one line of a CSV, TSV or JSONL table
MENTION_CHARS = 1_000  # longer mentions are cut here (the encoder reads 25 tokens of them)
_SKIP_PIECE = 1 << 16


def size(limit: int) -> str:
    """``1 MiB``, ``256 MiB``, ``64 KiB``: a byte limit for a message."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if limit >= 1 << shift and limit % (1 << shift) == 0:
            return f"{limit >> shift} {unit}"
    return f"{limit} bytes"


def bounded_lines(
    stream: IO[bytes],
    name: str,
    *,
    limit: int,
    error: type[EntityLinkError],
    skip: Callable[[str], None] | None = None,
) -> Iterator[tuple[int, bytes]]:
    """``(number, raw line)`` of a binary stream, each at most ``limit`` bytes without its line
    break. A longer line raises ``error("NAME:LINE: ...")``, or, given ``skip``, is read past
    and reported to ``skip`` with that message."""
    return _BoundedLines(stream, name, limit, error, skip)


class _BoundedLines:
    """An iterator, not a generator: it keeps no reference to the line it returned, so a
    reader that drops a long line frees it."""

    def __init__(
        self,
        stream: IO[bytes],
        name: str,
        limit: int,
        error: type[EntityLinkError],
        skip: Callable[[str], None] | None,
    ) -> None:
        self.stream, self.name, self.limit, self.error, self.skip = stream, name, limit, error, skip
        self.number = 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> tuple[int, bytes]:
        while raw := self.stream.readline(self.limit + 1):
            self.number += 1
            if len(raw) <= self.limit or raw.endswith(b"\n"):
                return self.number, raw
            del raw
            message = (
                f"{self.name}:{self.number}: a line longer than {size(self.limit)}; split the "
                "input into lines (one mention, or one document, per line)"
            )
            if self.skip is None:
                raise self.error(message)
            while (piece := self.stream.readline(_SKIP_PIECE)) and not piece.endswith(b"\n"):
                pass
            self.skip(message)
        raise StopIteration


def cut_mention(text: str, cut: list[int]) -> str:
    """``text`` cut to :data:`MENTION_CHARS` characters; ``cut[0]`` counts the mentions cut."""
    if len(text) <= MENTION_CHARS:
        return text
    cut[0] += 1
    return text[:MENTION_CHARS]


class CappedReader(io.RawIOBase):
    """A binary file whose lines may be at most ``limit`` bytes, for readers that take a file
    object and read lines themselves (pandas' CSV and JSONL readers): a longer line raises
    ``error("NAME:LINE: ...")`` once ``limit`` bytes of it have been read."""

    def __init__(self, raw: IO[bytes], name: str, limit: int, error: type[EntityLinkError]):
        super().__init__()
        self.raw, self.name, self.limit, self.error = raw, name, limit, error
        self.line, self.run = 1, 0  # the line being read, and its bytes so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(min(len(buffer), self.limit + 1))  # holds whole middle lines
        if not data:
            return 0
        breaks = data.count(b"\n")
        tail = len(data) - data.rfind(b"\n") - 1 if breaks else len(data)
        head = data.find(b"\n") if breaks else len(data)
        if self.run + head > self.limit or tail > self.limit:
            line = self.line if self.run + head > self.limit else self.line + breaks
            raise self.error(
                f"{self.name}:{line}: a line longer than {size(self.limit)}; a table's rows "
                "must be shorter"
            )
        self.run = tail if breaks else self.run + len(data)
        self.line += breaks
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()
