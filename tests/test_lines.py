from __future__ import annotations

import io

import pytest

from entitylink import DocumentFormatError, TableFormatError
from entitylink.lines import MENTION_CHARS, CappedReader, bounded_lines, cut_mention, size


def lines(data: bytes, limit: int, skip: list[str] | None = None) -> list[tuple[int, bytes]]:
    return list(
        bounded_lines(
            io.BytesIO(data),
            "in.txt",
            limit=limit,
            error=DocumentFormatError,
            skip=None if skip is None else skip.append,
        )
    )


def test_lines_up_to_the_limit_pass_with_or_without_a_final_break() -> None:
    assert lines(b"abcd\nefgh\nij", 4) == [(1, b"abcd\n"), (2, b"efgh\n"), (3, b"ij")]
    assert lines(b"abcd", 4) == [(1, b"abcd")]
    assert lines(b"", 4) == []


def test_a_longer_line_is_an_error_naming_file_and_line() -> None:
    with pytest.raises(DocumentFormatError, match=r"^in\.txt:2: a line longer than 4 bytes"):
        lines(b"ok\nabcde\nok\n", 4)
    with pytest.raises(DocumentFormatError, match=r"^in\.txt:1: a line longer than 4 bytes"):
        lines(b"abcde", 4)  # no line break at all


def test_skip_reads_past_the_long_line_and_reports_it() -> None:
    skipped: list[str] = []
    data = b"ok\n" + b"x" * 200_000 + b"\nlast\n"
    assert lines(data, 8, skipped) == [(1, b"ok\n"), (3, b"last\n")]
    assert len(skipped) == 1 and skipped[0].startswith("in.txt:2: a line longer than 8 bytes")


def test_an_endless_line_costs_the_limit_only() -> None:
    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            buffer[:] = b"\0" * len(buffer)
            self.read_bytes += len(buffer)
            return len(buffer)

    raw = Endless()
    with pytest.raises(DocumentFormatError, match="in.txt:1: a line longer than 1 MiB"):
        list(
            bounded_lines(
                io.BufferedReader(raw), "in.txt", limit=1 << 20, error=DocumentFormatError
            )
        )
    assert raw.read_bytes < (1 << 20) + (1 << 16)


def test_sizes_and_cut_mentions() -> None:
    assert [size(1 << 20), size(256 << 20), size(1 << 16), size(10)] == [
        "1 MiB",
        "256 MiB",
        "64 KiB",
        "10 bytes",
    ]
    cut = [0]
    assert cut_mention("fever", cut) == "fever" and cut == [0]
    assert cut_mention("y" * (MENTION_CHARS + 5), cut) == "y" * MENTION_CHARS and cut == [1]


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_capped_reader_passes_short_lines_and_names_the_long_one(chunk: int) -> None:
    data = b"ab\ncdef\n\ngh"
    reader = CappedReader(io.BytesIO(data), "t.csv", 4, TableFormatError)
    assert io.BufferedReader(reader, buffer_size=chunk).read() == data
    for bad, line in ((b"ab\nabcdefgh\nx\n", 2), (b"abcde", 1), (b"a\nb\nc\nlong line\n", 4)):
        reader = CappedReader(io.BytesIO(bad), "t.csv", 4, TableFormatError)
        with pytest.raises(TableFormatError, match=rf"^t\.csv:{line}: a line longer than 4 bytes"):
            io.BufferedReader(reader, buffer_size=chunk).read()
