"""Users' own vocabularies: TSV, CSV, JSONL (scispacy's KB schema too) and pandas DataFrames.

Columns: ``concept_id`` and ``name`` (required), ``synonyms``, ``types``, ``alt_ids`` (lists, or
strings joined with ``|``), ``definition``, ``source``. scispacy's ``canonical_name`` and
``aliases`` are accepted for ``name`` and ``synonyms``. Several rows with one ``concept_id`` add
names to one concept; the first row gives the canonical name.

>>> concepts = read_table("my_vocab.tsv", Problems())  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..records import Concept
from ._base import COMPRESSED, Problems, make_concept, read_lines, read_text, split_list

ALIASES = {
    "canonical_name": "name",
    "aliases": "synonyms",
    "id": "concept_id",
    "cui": "concept_id",
}
LIST_COLUMNS = ("synonyms", "types", "alt_ids")

if TYPE_CHECKING:
    import pandas as pd


def _missing(value: Any) -> bool:
    """None, NaN, pd.NA and NaT (pandas is imported only once a DataFrame is read)."""
    if value is None:
        return True
    if isinstance(value, str | int):
        return False
    if isinstance(value, float):
        return value != value
    import pandas as pd

    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _scalar(value: Any) -> bool:
    return not isinstance(value, (list, tuple, set, frozenset, dict)) and not hasattr(
        value, "__array__"
    )


def _text(value: Any) -> str:
    """A cell as text; missing cells (None, NaN, pd.NA) are empty."""
    return "" if _missing(value) else str(value).strip()


def _as_list(value: Any) -> list[str]:
    """A list cell: a ``|``-joined string, a list or array, or missing."""
    if isinstance(value, str):
        return split_list(value)
    if _scalar(value):
        return [text] if (text := _text(value)) else []
    return [str(v).strip() for v in value if str(v).strip()]


def _cleaned(value: Any, problems: Problems, path: Path | str, line: int | str) -> list[str]:
    """A list cell's values, their control characters checked (see :meth:`Problems.clean`)."""
    return [problems.clean(path, line, item) for item in _as_list(value)]


def _concepts(
    rows: Iterable[tuple[int | str, dict[str, Any]]],
    path: Path | str,
    problems: Problems,
) -> Iterator[Concept]:
    """Group rows by ``concept_id`` (first-seen order) and build one concept per ID."""
    merged: dict[str, dict[str, Any]] = {}
    for line, raw in rows:
        row = {ALIASES.get(key, key): value for key, value in raw.items()}
        missing = [c for c in ("concept_id", "name") if c not in row]
        if missing:
            problems(
                path,
                line,
                f"missing column(s) {', '.join(missing)}; found {sorted(raw)}",
            )
            continue
        concept_id = problems.clean(path, line, _text(row["concept_id"]))
        name = problems.clean(path, line, _text(row["name"]))
        if not concept_id or not name:
            problems(path, line, "empty concept_id or name")
            continue
        entry = merged.setdefault(concept_id, {"names": [], "types": [], "alt_ids": []})
        entry["names"] += [name, *_cleaned(row.get("synonyms"), problems, path, line)]
        entry["types"] += _cleaned(row.get("types"), problems, path, line)
        entry["alt_ids"] += _cleaned(row.get("alt_ids"), problems, path, line)
        entry.setdefault("definition", problems.clean(path, line, _text(row.get("definition"))))
        entry.setdefault("source", problems.clean(path, line, _text(row.get("source"))))
    for concept_id, entry in merged.items():
        yield make_concept(concept_id, entry.pop("names"), **entry)


def read_dataframe(frame: pd.DataFrame, problems: Problems) -> Iterator[Concept]:
    """Concepts from a DataFrame with the columns above (row numbers count from 0)."""
    records = frame.to_dict("records")
    yield from _concepts(((f"row {i}", r) for i, r in enumerate(records)), "DataFrame", problems)


def read_table(
    path: Path, problems: Problems, *, delimiter: str | None = None
) -> Iterator[Concept]:
    """A TSV or CSV file with a header row; the delimiter comes from the suffix if not given."""
    delimiter = delimiter or ("," if _suffix(path) == ".csv" else "\t")
    lines = ((number, text) for number, text in read_lines(path, problems) if text.strip())
    first = next(lines, None)
    if first is None:
        problems(path, 1, "empty file: expected a header with concept_id and name")
        return
    header = _fields(first[1], delimiter, path, first[0], problems)
    if header is None:
        return

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, text in lines:
            values = _fields(text, delimiter, path, number, problems)
            if values is None:
                continue
            if len(values) != len(header):
                problems(path, number, f"expected {len(header)} fields, found {len(values)}")
                continue
            yield number, dict(zip(header, values, strict=True))

    yield from _concepts(rows(), path, problems)


def _suffix(path: Path) -> str:
    """The suffix under the compression's (``v.csv.gz`` -> ``.csv``)."""
    name = path.name.lower()
    for compressed in COMPRESSED:
        name = name.removesuffix(compressed)
    return Path(name).suffix


def _fields(
    text: str, delimiter: str, path: Path, number: int, problems: Problems
) -> list[str] | None:
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error as exc:
        problems(path, number, f"cannot split the line into fields: {exc}")
        return None


def read_jsonl(path: Path, problems: Problems) -> Iterator[Concept]:
    """One JSON object per line; a ``.json`` file holding one list (scispacy's KBs) works too."""

    def items() -> Iterator[tuple[int | str, Any]]:
        if _suffix(path) == ".json":
            text = read_text(path, problems)
            data = _loads(text, path, 1, problems) if text is not None else None
            if data is not None and not isinstance(data, list):
                problems(path, 1, "expected a JSON list of objects")
            elif data is not None:
                yield from ((f"item {i}", item) for i, item in enumerate(data))
            return
        for number, text in read_lines(path, problems):
            if text.strip() and (record := _loads(text, path, number, problems)) is not None:
                yield number, record

    def rows() -> Iterator[tuple[int | str, dict[str, Any]]]:
        for where, item in items():
            if isinstance(item, dict):
                yield where, item
            else:
                problems(path, where, f"expected a JSON object, found {type(item).__name__}")

    yield from _concepts(rows(), path, problems)


def _loads(text: str, path: Path, number: int, problems: Problems) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problems(path, number + exc.lineno - 1, f"invalid JSON: {exc.msg}")
        return None
