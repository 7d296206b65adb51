"""UMLS Metathesaurus reader: ``MRCONSO.RRF`` streamed, joined with ``MRSTY.RRF`` and ``MRDEF.RRF``.

The RRF files of a UMLS release are sorted by CUI, so the reader groups consecutive MRCONSO rows
into one concept and merge-joins the semantic types and definitions: memory stays flat however
large the release (a full MRCONSO has 15M+ lines).

>>> concepts = read_umls("META/MRCONSO.RRF", sabs=["MSH", "SNOMEDCT_US"])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

from ..records import Concept
from ._base import Problems, make_concept, read_lines

# MRCONSO.RRF columns (UMLS Reference Manual, 3.3.4).
CUI, LAT, TS, STT, ISPREF, SAB, STR, SUPPRESS = 0, 1, 2, 4, 6, 11, 14, 16
MRCONSO_FIELDS = 18
MRSTY_TUI = 1
MRDEF_DEF, MRDEF_SUPPRESS = 5, 6


def _fields(line: str) -> list[str]:
    """Split an RRF line; RRF lines end with a trailing ``|``."""
    parts = line.split("|")
    return parts[:-1] if parts and parts[-1] == "" else parts


class _SortedRows:
    """Rows of a CUI-sorted RRF file, looked up in increasing CUI order (a merge join)."""

    def __init__(self, path: Path, problems: Problems, min_fields: int) -> None:
        self.path, self.min_fields = path, min_fields
        lines = read_lines(path, problems)
        self._rows = ((number, _fields(line)) for number, line in lines if line)
        self._problems = problems
        self._pending: tuple[int, list[str]] | None = next(self._rows, None)
        self._last = ""

    def get(self, cui: str) -> list[list[str]]:
        """All rows of ``cui``; rows of smaller CUIs are passed over."""
        found: list[list[str]] = []
        while self._pending is not None:
            number, row = self._pending
            if len(row) < self.min_fields:
                self._problems(self.path, number, f"expected {self.min_fields} '|' fields")
            elif row[0] > cui:
                break
            elif row[0] < self._last:
                self._problems(
                    self.path,
                    number,
                    f"not sorted by CUI ({row[0]} after {self._last})",
                )
            else:
                self._last = row[0]
                if row[0] == cui:
                    found.append(row)
            self._pending = next(self._rows, None)
        return found


def _preference(row: list[str], language: str) -> tuple[bool, bool, bool, bool]:
    """Rank of a row as the concept's preferred name: language, then TS=P, STT=PF, ISPREF=Y."""
    return row[LAT] == language, row[TS] == "P", row[STT] == "PF", row[ISPREF] == "Y"


def _concept(
    cui: str,
    rows: list[list[str]],
    types: _SortedRows | None,
    defs: _SortedRows | None,
    language: str,
) -> Concept:
    best = max(range(len(rows)), key=lambda i: (_preference(rows[i], language), -i))
    names = [rows[best][STR]] + [row[STR] for i, row in enumerate(rows) if i != best]
    definition = None
    if defs is not None:
        usable = [r[MRDEF_DEF] for r in defs.get(cui) if r[MRDEF_SUPPRESS] in ("N", "")]
        definition = usable[0] if usable else None
    return make_concept(
        cui,
        names,
        types=[row[MRSTY_TUI] for row in types.get(cui)] if types is not None else (),
        definition=definition,
        source="|".join(sorted({row[SAB] for row in rows})),
    )


def read_umls(
    path: Path,
    problems: Problems,
    *,
    languages: Collection[str] | None = ("ENG",),
    sabs: Collection[str] | None = None,
    exclude_sabs: Collection[str] = (),
    suppress: Collection[str] = ("N",),
    mrsty: Path | None = None,
    mrdef: Path | None = None,
) -> Iterator[Concept]:
    """Stream concepts from ``MRCONSO.RRF`` (or a META directory holding it).

    Parameters
    ----------
    languages
        ``LAT`` values to keep (``None`` keeps all).
    sabs, exclude_sabs
        Source vocabularies to keep (``None``: all) and to drop.
    suppress
        ``SUPPRESS`` flags to keep; by default only unsuppressed (``N``) names.
    mrsty, mrdef
        Semantic types and definitions; by default ``MRSTY.RRF`` and ``MRDEF.RRF`` beside
        MRCONSO when present.
    """
    path = Path(path)
    meta = path if path.is_dir() else path.parent
    conso = meta / "MRCONSO.RRF" if path.is_dir() else path
    mrsty = mrsty or (meta / "MRSTY.RRF" if (meta / "MRSTY.RRF").exists() else None)
    mrdef = mrdef or (meta / "MRDEF.RRF" if (meta / "MRDEF.RRF").exists() else None)
    language = next(iter(languages), "ENG") if languages else "ENG"  # its names come first
    types = _SortedRows(Path(mrsty), problems, 2) if mrsty else None
    defs = _SortedRows(Path(mrdef), problems, 7) if mrdef else None

    current, rows = "", list[list[str]]()
    for number, line in read_lines(conso, problems):
        if not line.strip():
            continue
        row = _fields(line)
        if len(row) != MRCONSO_FIELDS:
            problems(
                conso,
                number,
                f"expected {MRCONSO_FIELDS} '|' fields, found {len(row)}"
                + (" (a '|' inside a field?)" if len(row) > MRCONSO_FIELDS else ""),
            )
            continue
        if not row[CUI].strip() or not row[STR].strip():
            problems(conso, number, "empty CUI or STR")
            continue
        if row[CUI] != current:
            if row[CUI] < current:
                problems(conso, number, f"not sorted by CUI ({row[CUI]} after {current})")
                continue
            if rows:
                yield _concept(current, rows, types, defs, language)
            current, rows = row[CUI], []
        if (
            (languages is None or row[LAT] in languages)
            and (sabs is None or row[SAB] in sabs)
            and row[SAB] not in exclude_sabs
            and row[SUPPRESS] in suppress
        ):
            rows.append(row)
    if rows:
        yield _concept(current, rows, types, defs, language)
