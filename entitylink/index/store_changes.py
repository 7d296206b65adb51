"""Changing a copy of a concept table for a new generation of an index: retire concepts or names,
append names, replace concept records, and copy a table without its gaps (``compact``).

Rows are never renumbered here except by :func:`copy_compacted`: a retired name's row is
deleted (its vector stays, masked, until compaction) and new names take rows after the last.

>>> store = ConceptStore(tmp / "concepts.sqlite", readonly=False)      # doctest: +SKIP
>>> rows = retire_concepts(store, ["C0000005"])                        # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from ..records import Concept
from .store import ConceptStore, concepts_table, names_table

__all__ = [
    "add_names",
    "copy_compacted",
    "names_of",
    "replace_records",
    "retire_concepts",
    "retire_rows",
]

ID_CHUNK = 20_000  # concept IDs per query (bound as one JSON parameter)


def _json_ids(ids: Sequence[str]) -> str:
    return json.dumps(list(ids))


def _ids_in(column: sa.Column[str]) -> sa.ColumnElement[bool]:
    return column.in_(
        sa.select(sa.column("value", sa.String))
        .select_from(sa.func.json_each(sa.bindparam("ids")))
        .scalar_subquery()
    )


def names_of(store: ConceptStore, concept_ids: Iterable[str]) -> dict[str, list[tuple[int, str]]]:
    """``(row, name)`` of every name of the stored concepts among ``concept_ids``, by ID
    (concepts not stored are left out)."""
    wanted = sorted(set(concept_ids))
    found: dict[str, list[tuple[int, str]]] = {}
    query = (
        sa.select(names_table.c.concept_id, names_table.c.row, names_table.c.name)
        .where(_ids_in(names_table.c.concept_id))
        .order_by(names_table.c.row)
    )
    with store.engine.connect() as connection:
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = _json_ids(wanted[start : start + ID_CHUNK])
            for concept_id, row, name in connection.execute(query, {"ids": chunk}):
                found.setdefault(concept_id, []).append((int(row), name))
    return found


def retire_concepts(store: ConceptStore, concept_ids: Iterable[str]) -> NDArray[np.int64]:
    """Delete these concepts and their names; returns the rows their names had (sorted)."""
    wanted = sorted(set(concept_ids))
    rows: list[int] = []
    with store.engine.begin() as connection:
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = {"ids": _json_ids(wanted[start : start + ID_CHUNK])}
            rows += connection.execute(
                sa.select(names_table.c.row).where(_ids_in(names_table.c.concept_id)), chunk
            ).scalars()
            connection.execute(names_table.delete().where(_ids_in(names_table.c.concept_id)), chunk)
            connection.execute(concepts_table.delete().where(_ids_in(concepts_table.c.id)), chunk)
    return np.array(sorted(rows), dtype=np.int64)


def retire_rows(store: ConceptStore, rows: Sequence[int]) -> None:
    """Delete the names at ``rows`` (names a replaced concept no longer has)."""
    if not rows:
        return
    in_rows = names_table.c.row.in_(
        sa.select(sa.column("value", sa.Integer))
        .select_from(sa.func.json_each(sa.bindparam("rows")))
        .scalar_subquery()
    )
    with store.engine.begin() as connection:
        connection.execute(names_table.delete().where(in_rows), {"rows": json.dumps(list(rows))})


def add_names(store: ConceptStore, names: Sequence[tuple[str, str]], first_row: int) -> int:
    """Append ``(concept_id, name)`` pairs at rows from ``first_row``; returns the next row."""
    if names:
        rows = [
            {"row": first_row + i, "concept_id": concept_id, "name": name}
            for i, (concept_id, name) in enumerate(names)
        ]
        with store.engine.begin() as connection:
            connection.execute(names_table.insert(), rows)
    return first_row + len(names)


def replace_records(store: ConceptStore, concepts: Sequence[Concept]) -> None:
    """Overwrite the stored records (name, types, source, definition, other IDs) of these
    concepts with theirs; the names table is left to the caller."""
    if not concepts:
        return
    statement = (
        concepts_table.update()
        .where(concepts_table.c.id == sa.bindparam("concept_id"))
        .values(
            name=sa.bindparam("c_name"),
            types=sa.bindparam("c_types"),
            source=sa.bindparam("c_source"),
            definition=sa.bindparam("c_definition"),
            alt_ids=sa.bindparam("c_alt_ids"),
        )
    )
    with store.engine.begin() as connection:
        connection.execute(
            statement,
            [
                {
                    "concept_id": c.concept_id,
                    "c_name": c.name,
                    "c_types": "|".join(c.types),
                    "c_source": c.source,
                    "c_definition": c.definition,
                    "c_alt_ids": "|".join(c.alt_ids),
                }
                for c in concepts
            ],
        )


def copy_compacted(source: Path, target: ConceptStore) -> None:
    """Copy the concept table at ``source`` into the new, empty store ``target`` with its name
    rows renumbered densely in their order (row ``r`` becomes ``r`` less the rows missing
    below it: the order compaction keeps the live vectors in), then index and vacuum it."""
    with target.engine.begin() as connection:
        connection.execute(sa.text("ATTACH DATABASE :path AS source"), {"path": str(source)})
        connection.execute(sa.text("INSERT INTO concepts SELECT * FROM source.concepts"))
        connection.execute(
            sa.text(
                "INSERT INTO names (row, concept_id, name) SELECT "
                "ROW_NUMBER() OVER (ORDER BY row) - 1, concept_id, name FROM source.names"
            )
        )
    with target.engine.begin() as connection:
        connection.execute(sa.text("DETACH DATABASE source"))
    target.finish()
