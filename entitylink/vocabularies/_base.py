"""Helpers shared by the vocabulary readers: line reading, error policy, name de-duplication."""

from __future__ import annotations

import bz2
import gzip
import logging
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from ..errors import VocabularyError
from ..records import Concept

logger = logging.getLogger("entitylink.vocabularies")

COMPRESSED = (".gz", ".bz2", ".zip")
# what reading a damaged compressed file raises: gzip (BadGzipFile is an OSError), a stream cut
# short (EOFError), deflate data (zlib.error), bz2 (OSError), zip (BadZipFile)
READ_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


# Unicode category Cc less whitespace (tab..CR, the separators 1C-1F, NEL 85): NUL, ESC, DEL,
# the C1 controls. One regex pass per line: the per-character loop it replaces took half of
# reading a 12M-line MRCONSO (tests/vocabularies: equal to the category test on every code point).
CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def _is_control(char: str) -> bool:
    """A control character that is not whitespace (NUL, ESC, DEL, C1 controls...)."""
    return unicodedata.category(char) == "Cc" and not char.isspace()


def control_characters(text: str) -> list[str]:
    r"""The control characters of ``text`` (tabs and line breaks are whitespace, not counted).

    >>> control_characters("heart\x00attack\tx")
    ['\x00']
    """
    return CONTROL.findall(text)


def normalize_name(name: str) -> str:
    """The form under which two names of one concept count as the same name.

    >>> normalize_name("  Heart   Attack ")
    'heart attack'
    """
    return " ".join(unicodedata.normalize("NFKC", name).lower().split())


class Problems:
    """What a reader does with a bad line: raise (``strict``) or skip it and count it."""

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict
        self.count = 0
        self.first: str | None = None
        self.cleaned = 0  # values whose control characters were stripped (not strict)

    def __call__(self, path: Path | str, line: int | str, message: str) -> None:
        """Report a bad line; raises :class:`VocabularyError` when strict."""
        text = f"{path}:{line}: {message}"
        if self.strict:
            raise VocabularyError(text + " (pass strict=False / --no-strict to skip bad lines)")
        self.count += 1
        self.first = self.first or text

    def clean(self, path: Path | str, line: int | str, value: str) -> str:
        """``value`` without control characters: an error when strict, else stripped and counted.

        Whitespace (tabs, line breaks) is not a control character here: names are re-spaced.
        """
        found = control_characters(value)
        if not found:
            return value
        if self.strict:
            codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in found}))
            self(path, line, f"control character(s) {codes} in {value[:60]!r}")
        self.cleaned += 1
        return CONTROL.sub("", value)

    def finish(self, path: Path | str) -> None:
        """Log how many lines were skipped, with the first one, and how many values cleaned."""
        if self.count:
            logger.warning("%s: skipped %d bad line(s); first: %s", path, self.count, self.first)
        if self.cleaned:
            logger.warning(
                "%s: stripped control characters from %d name(s) or ID(s)", path, self.cleaned
            )


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, transparently decompressing ``*.gz``, ``*.bz2`` and a
    ``*.zip`` holding one file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]
        if suffix == ".bz2":
            return bz2.open(path, "rb")
        if suffix == ".zip":
            return _open_zip(path)
        return path.open("rb")
    except READ_ERRORS as exc:
        raise VocabularyError(f"{path}: cannot open: {read_failure(exc)}") from None


def _open_zip(path: Path) -> IO[bytes]:
    archive = zipfile.ZipFile(path)
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        archive.close()
        raise VocabularyError(
            f"{path}: a zip archive must hold exactly one file, found {len(members)}"
        )
    return archive.open(members[0])


def read_failure(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{text} (the file is damaged or not what its name says)"


def read_lines(path: Path, problems: Problems) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line, without its line ending, streaming.

    Lines that are not valid UTF-8 are reported to ``problems`` with their number, and so are
    control characters (stripped when not strict); a damaged compressed file is a
    :class:`VocabularyError` naming the line where reading stopped.
    """
    number = 0
    with open_binary(path) as handle:
        lines = iter(handle)
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except READ_ERRORS as exc:
                raise VocabularyError(
                    f"{path}:{number + 1}: cannot read: {read_failure(exc)}"
                ) from None
            number += 1
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                problems(path, number, f"undecodable bytes (not UTF-8): {exc.reason}")
                continue
            yield number, problems.clean(path, number, text)


def read_text(path: Path, problems: Problems) -> str | None:
    """A whole (small) file as text; bad bytes are reported with their line number."""
    with open_binary(path) as handle:
        try:
            data: bytes = handle.read()
        except READ_ERRORS as exc:
            raise VocabularyError(f"{path}:1: cannot read: {read_failure(exc)}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems(path, line, f"undecodable bytes (not UTF-8): {exc.reason}")
        return None


def make_concept(
    concept_id: str,
    names: Iterable[str],
    *,
    types: Iterable[str] = (),
    definition: str | None = None,
    source: str | None = None,
    alt_ids: Iterable[str] = (),
) -> Concept:
    """Build a :class:`Concept`, keeping the first of the names that normalise alike.

    The first name is the canonical one. Empty names are dropped; the caller checks that the
    canonical one is not empty.
    """
    seen: set[str] = set()
    kept: list[str] = []
    for name in names:
        name = " ".join(name.split())
        key = normalize_name(name)
        if key and key not in seen:
            seen.add(key)
            kept.append(name)
    return Concept(
        concept_id=concept_id.strip(),
        name=kept[0],
        aliases=tuple(kept[1:]),
        types=tuple(dict.fromkeys(t for t in types if t)),
        definition=definition or None,
        source=source or None,
        alt_ids=tuple(dict.fromkeys(a for a in alt_ids if a and a != concept_id)),
    )


def split_list(value: str, sep: str = "|") -> list[str]:
    """Split a ``|``-joined field, dropping empty parts and surrounding blanks."""
    return [part.strip() for part in value.split(sep) if part.strip()]
