"""Issue 15's reader cases: damaged compressed files, control characters, malformed OBO
headings and synonyms, MRCONSO rows with an extra field. Each names the file and the line."""

from __future__ import annotations

import bz2
import gzip
import io
import logging
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from entitylink import VocabularyError, read_vocabulary
from tests.vocabularies.snippets import HPO_OBO, MEDIC_LINES, XMEN_MRCONSO, lines

Write = Callable[[str, str | bytes], Path]
MEDIC = lines(*MEDIC_LINES).encode()


def _zip(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("medic.txt.gz", gzip.compress(MEDIC)),
        ("medic.txt.bz2", bz2.compress(MEDIC)),
        ("medic.txt.zip", _zip(("medic.txt", MEDIC))),
    ],
)
def test_compressed_files_are_read(write: Write, name: str, data: bytes) -> None:
    assert len(list(read_vocabulary(write(name, data)))) == 3


@pytest.mark.parametrize(
    ("name", "data", "where"),
    [
        ("medic.txt.gz", b"not gzip at all\n", r":1: cannot read: Not a gzipped file"),
        # cut short: the lines before the cut are read, the error names the next one
        ("medic.txt.gz", gzip.compress(MEDIC * 50)[:300], r":\d+: cannot read: Compressed file"),
        ("medic.txt.bz2", b"BZh91AY&SY" + b"\x00" * 40, r":1: cannot read: Invalid data stream"),
        ("medic.txt.zip", b"PK\x03\x04 truncated", r": cannot open: File is not a zip file"),
        ("medic.txt.zip", _zip(("a.txt", MEDIC), ("b.txt", MEDIC)), r": a zip archive must hold"),
    ],
    ids=["gzip-bad-header", "gzip-truncated", "bz2-bad-stream", "zip-bad", "zip-two-files"],
)
def test_damaged_compressed_files_name_file_and_line(
    write: Write, name: str, data: bytes, where: str
) -> None:
    path = write(name, data)
    with pytest.raises(VocabularyError) as error:
        list(read_vocabulary(path, "biosyn"))
    assert re.match(re.escape(str(path)) + where, str(error.value)), str(error.value)


def test_detect_format_sees_through_compression(write: Write) -> None:
    with pytest.raises(VocabularyError, match=re.escape(":1: cannot read: Not a gzipped")):
        read_vocabulary(write("medic.txt.gz", b"plain text\n"))  # format detection reads it


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85\x9b"[1]])
def test_control_characters_are_refused_when_strict(write: Write, char: str) -> None:
    path = write("medic.txt", lines(MEDIC_LINES[0], f"D000001||Fe{char}ver|pyrexia"))
    with pytest.raises(VocabularyError) as error:
        list(read_vocabulary(path))
    assert str(error.value).startswith(f"{path}:2: control character(s) U+{ord(char):04X} in")


def test_control_characters_are_stripped_and_counted_otherwise(
    write: Write, caplog: pytest.LogCaptureFixture
) -> None:
    path = write("vocab.tsv", lines("concept_id\tname", "C1\tFe\x00ver", "C2\tasth\x1bma\x07"))
    with caplog.at_level(logging.WARNING):
        concepts = list(read_vocabulary(path, strict=False))
    assert [c.name for c in concepts] == ["Fever", "asthma"]
    assert "stripped control characters from 2 name(s) or ID(s)" in caplog.text


def test_escaped_control_characters_in_json_are_caught_too(write: Write) -> None:
    path = write("v.jsonl", '{"concept_id": "C1", "name": "Fe\\u0000ver"}\n')
    with pytest.raises(VocabularyError, match=re.escape(f"{path}:1: control character(s) U+0000")):
        list(read_vocabulary(path))


def test_tabs_and_line_breaks_in_names_are_whitespace(write: Write) -> None:
    path = write("v.jsonl", '{"concept_id": "C1", "name": "heart\\tattack\\n"}\n')
    assert [c.name for c in read_vocabulary(path)] == ["heart attack"]


@pytest.mark.parametrize(
    ("damage", "line", "message"),
    [
        (("format-version: 1.2", "format-version 1.2"), 1, "expected 'tag: value'"),
        (("[Term]", "[Term"), None, "expected a stanza heading like [Term]"),
        (('synonym: "', "synonym: "), None, "expected a quoted text after 'synonym:'"),
    ],
    ids=["header-line", "stanza-heading", "unquoted-synonym"],
)
def test_malformed_obo_is_an_error(
    write: Write, damage: tuple[str, str], line: int | None, message: str
) -> None:
    text = HPO_OBO.replace(*damage, 1)
    path = write("hp.obo", text)
    number = line or 1 + text.splitlines().index(
        next(row for row in text.splitlines() if row.startswith(damage[1]))
    )
    with pytest.raises(VocabularyError) as error:
        list(read_vocabulary(path))
    assert str(error.value).startswith(f"{path}:{number}: {message}")
    assert len(list(read_vocabulary(path, strict=False))) >= 1  # --no-strict goes on


def test_mrconso_row_with_an_extra_field_is_an_error(write: Write) -> None:
    row = XMEN_MRCONSO[0].split("|")
    row[14] += "|extra"  # a '|' inside STR shifts SUPPRESS: the row used to vanish silently
    path = write("MRCONSO.RRF", lines("|".join(row), *XMEN_MRCONSO[1:]))
    with pytest.raises(VocabularyError) as error:
        list(read_vocabulary(path))
    assert str(error.value).startswith(
        f"{path}:1: expected 18 '|' fields, found 19 (a '|' inside a field?)"
    )
