"""Link a column of mentions in a pandas DataFrame; the one function every engine calls.

>>> linker = Linker.from_dir("indexes/sample")                          # doctest: +SKIP
>>> link_dataframe(linker, pd.DataFrame({"mention": ["heart attack"]}), k=2)  # doctest: +SKIP
        mention  rank concept_id                   name   matched_name  score
0  heart attack     1   C0027051  myocardial infarction  heart attack   1.0
1  heart attack     2   C0018801          heart failure  heart failure  0.72

Long form (the default) gives one row per (input row, rank), the input's columns repeated; an
input row whose mention is null, blank or has no candidate gives one row with null candidate
columns. ``nested=True`` gives one row per input row and a ``candidates`` column of lists of
dicts (empty when there is none). Input order and the index's labels are kept in both forms.
Each distinct mention is linked once per call.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import TableFormatError
from ..lines import MENTION_CHARS, cut_mention
from ..records import Candidate

if TYPE_CHECKING:
    from ..linking.linker import Linker

CANDIDATE_FIELDS = ("concept_id", "name", "matched_name", "score")
LONG_COLUMNS = ("rank", *CANDIDATE_FIELDS)
NESTED_COLUMN = "candidates"

logger = logging.getLogger(__name__)


def output_columns(nested: bool, prefix: str = "") -> tuple[str, ...]:
    """The columns :func:`link_dataframe` adds to its input."""
    return (f"{prefix}{NESTED_COLUMN}",) if nested else tuple(prefix + c for c in LONG_COLUMNS)


def check_columns(columns: Collection[Hashable], column: str, nested: bool, prefix: str) -> None:
    """Refuse a table without the mention column, or one that has a column we would add."""
    if column not in columns:
        found = ", ".join(map(str, columns)) or "none"
        raise TableFormatError(f"no column {column!r} in the table (columns: {found})")
    clash = [c for c in output_columns(nested, prefix) if c in columns]
    if clash:
        raise TableFormatError(
            f"the table already has column(s) {', '.join(clash)} that linking adds; "
            f"pass prefix= (--prefix) to name the added columns differently"
        )


def _as_mention(value: object, column: str) -> str | None:
    """The text to link, or None for a null, NaN or blank cell; a cell that is not text (an
    integer column, say) is a :class:`TableFormatError`, not a number linked as a name."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if not isinstance(value, str):
        raise TableFormatError(
            f"column {column!r} holds {type(value).__name__} values (e.g. {value!r}), not text; "
            f"link a column of mentions, or convert this one to text first if its values are "
            f"names (df[{column!r}].astype(str))"
        )
    return value if value.strip() else None


def _unique_results(
    linker: Linker, mentions: list[str | None], k: int, **options: Any
) -> dict[str, list[Candidate]]:
    """Link each distinct non-blank mention once, cut to ``MENTION_CHARS`` characters."""
    unique = list(dict.fromkeys(m for m in mentions if m is not None))
    if not unique:
        return {}
    cut = [0]
    queries = [cut_mention(m, cut) for m in unique]
    if cut[0]:
        logger.warning("cut %d mentions longer than %d characters", cut[0], MENTION_CHARS)
    return dict(zip(unique, linker.link(queries, k, **options), strict=True))


def _as_dict(candidate: Candidate) -> dict[str, Any]:
    return {name: getattr(candidate, name) for name in CANDIDATE_FIELDS}


def link_dataframe(
    linker: Linker,
    df: pd.DataFrame,
    column: str = "mention",
    k: int = 10,
    *,
    nested: bool = False,
    threshold: float | None = None,
    types: Collection[str] | None = None,
    batch_size: int | None = None,
    prefix: str = "",
) -> pd.DataFrame:
    """Link ``df[column]``; returns the input's columns plus the candidates.

    Parameters
    ----------
    k, threshold, types, batch_size
        As :meth:`Linker.link` (``batch_size`` None: its default).
    nested
        One row per input row with a ``candidates`` list of ``{concept_id, name, matched_name,
        score}`` dicts, instead of one row per (input row, rank) with columns ``rank``,
        ``concept_id``, ``name``, ``matched_name``, ``score``.
    prefix
        Prepended to the added columns' names (when the input already has a ``name`` column).

    Raises
    ------
    TableFormatError
        ``column`` is missing or holds values that are not text (numbers, say), or an added
        column's name is taken.
    """
    check_columns(df.columns, column, nested, prefix)
    mentions = [_as_mention(v, column) for v in df[column].tolist()]
    options: dict[str, Any] = {"threshold": threshold, "types": types}
    if batch_size is not None:
        options["batch_size"] = batch_size
    found = _unique_results(linker, mentions, k, **options)
    per_row = [found.get(m, []) if m is not None else [] for m in mentions]
    if nested:
        out = df.copy()
        out[prefix + NESTED_COLUMN] = [[_as_dict(c) for c in row] for row in per_row]
        return out
    return _long_form(df, per_row, prefix)


def _long_form(df: pd.DataFrame, per_row: list[list[Candidate]], prefix: str) -> pd.DataFrame:
    """Repeat each input row once per candidate (once when it has none)."""
    counts = np.array([max(1, len(row)) for row in per_row], dtype=np.int64)
    out = df.iloc[np.repeat(np.arange(len(df)), counts)].copy()
    missing: list[Candidate | None] = [None]
    flat = [c for row in per_row for c in (row or missing)]
    ranks = [r for row in per_row for r in (range(1, len(row) + 1) if row else [None])]
    out[prefix + "rank"] = pd.array(ranks, dtype="Int64")
    for name in ("concept_id", "name", "matched_name"):
        out[prefix + name] = [getattr(c, name) if c is not None else None for c in flat]
    out[prefix + "score"] = np.array(
        [c.score if c is not None else np.nan for c in flat], dtype=np.float64
    )
    return out
