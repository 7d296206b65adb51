"""Helpers shared by the vocabulary readers: line reading, error policy, name de-duplication."""

from __future__ import annotations

import gzip
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import VocabularyError
from ..records import Concept

logger = logging.getLogger("entitylink.vocabularies")


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

    def __call__(self, path: Path | str, line: int | str, message: str) -> None:
        """Report a bad line; raises :class:`VocabularyError` when strict."""
        text = f"{path}:{line}: {message}"
        if self.strict:
            raise VocabularyError(text + " (pass strict=False / --no-strict to skip bad lines)")
        self.count += 1
        self.first = self.first or text

    def finish(self, path: Path | str) -> None:
        """Log how many lines were skipped, with the first one."""
        if self.count:
            logger.warning("%s: skipped %d bad line(s); first: %s", path, self.count, self.first)


def open_binary(path: Path) -> Iterable[bytes]:
    """Open a file for reading bytes, transparently un-gzipping ``*.gz``."""
    try:
        return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")
    except OSError as exc:
        raise VocabularyError(f"{path}: cannot open: {exc.strerror or exc}") from exc


def read_lines(path: Path, problems: Problems) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line, without its line ending, streaming.

    Lines that are not valid UTF-8 are reported to ``problems`` with their number.
    """
    with open_binary(path) as handle:  # type: ignore[attr-defined]
        for number, raw in enumerate(handle, start=1):
            try:
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                problems(path, number, f"undecodable bytes (not UTF-8): {exc.reason}")


def read_text(path: Path, problems: Problems) -> str | None:
    """A whole (small) file as text; bad bytes are reported with their line number."""
    with open_binary(path) as handle:  # type: ignore[attr-defined]
        data: bytes = handle.read()
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
