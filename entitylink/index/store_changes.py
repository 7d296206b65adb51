"""Changing a copy of a concept table for a new generation of an index: retire concepts or names,
append names, replace concept records, and copy a table without its gaps (``compact``).

Rows are never renumbered here except by :func:`copy_compacted`: a retired name's row is
deleted (its vector stays, masked, until compaction) and new names take rows after the last.
A retired row's name key goes with it (a mention with that key is encoded again); new names get
theirs from :meth:`~.store.ConceptStore.add_name_keys`.

>>> store = ConceptStore(tmp / "concepts.sqlite", readonly=False)      # doctest: +SKIP
>>> rows = retire_concepts(store, ["C0000005"])                        # doctest: +SKIP
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..records import Concept
from .store import ConceptStore

__all__ = [
    "add_names",
    "copy_compacted",
    "names_of",
    "replace_records",
    "retire_concepts",
    "retire_rows",
]

ID_CHUNK = 20_000  # concept IDs per query (bound as one JSON parameter)
_IN = "IN (SELECT value FROM json_each(?))"


def names_of(store: ConceptStore, concept_ids: Iterable[str]) -> dict[str, list[tuple[int, str]]]:
    """``(row, name)`` of every name of the stored concepts among ``concept_ids``, by ID
    (concepts not stored are left out)."""
    wanted = sorted(set(concept_ids))
    found: dict[str, list[tuple[int, str]]] = {}
    query = f"SELECT concept_id, row, name FROM names WHERE concept_id {_IN} ORDER BY row"
    with store.transaction() as connection:
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = json.dumps(wanted[start : start + ID_CHUNK])
            for concept_id, row, name in connection.execute(query, (chunk,)):
                found.setdefault(concept_id, []).append((int(row), name))
    return found


def retire_concepts(store: ConceptStore, concept_ids: Iterable[str]) -> NDArray[np.int64]:
    """Delete these concepts and their names; returns the rows their names had (sorted)."""
    wanted = sorted(set(concept_ids))
    rows: list[int] = []
    keys = store.has_name_keys()
    with store.transaction() as connection:
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = (json.dumps(wanted[start : start + ID_CHUNK]),)
            query = f"SELECT row FROM names WHERE concept_id {_IN}"
            found = [row for (row,) in connection.execute(query, chunk)]
            connection.execute(f"DELETE FROM names WHERE concept_id {_IN}", chunk)
            connection.execute(f"DELETE FROM concepts WHERE id {_IN}", chunk)
            if keys:
                _drop_keys(connection, found)
            rows += found
    return np.array(sorted(rows), dtype=np.int64)


def retire_rows(store: ConceptStore, rows: Sequence[int]) -> None:
    """Delete the names at ``rows`` (names a replaced concept no longer has)."""
    if not rows:
        return
    keys = store.has_name_keys()
    with store.transaction() as connection:
        connection.execute(f"DELETE FROM names WHERE row {_IN}", (json.dumps(list(rows)),))
        if keys:
            _drop_keys(connection, rows)


def _drop_keys(connection: sqlite3.Connection, rows: Sequence[int]) -> None:
    connection.execute(f"DELETE FROM name_keys WHERE row {_IN}", (json.dumps(list(rows)),))


def add_names(store: ConceptStore, names: Sequence[tuple[str, str]], first_row: int) -> int:
    """Append ``(concept_id, name)`` pairs at rows from ``first_row``; returns the next row."""
    if names:
        rows = [(first_row + i, concept_id, name) for i, (concept_id, name) in enumerate(names)]
        with store.transaction() as connection:
            connection.executemany(
                "INSERT INTO names (row, concept_id, name) VALUES (?, ?, ?)", rows
            )
    return first_row + len(names)


def replace_records(store: ConceptStore, concepts: Sequence[Concept]) -> None:
    """Overwrite the stored records (name, types, source, definition, other IDs) of these
    concepts with theirs; the names table is left to the caller."""
    if not concepts:
        return
    statement = (
        "UPDATE concepts SET name = ?, types = ?, source = ?, definition = ?, alt_ids = ? "
        "WHERE id = ?"
    )
    records = [
        (c.name, "|".join(c.types), c.source, c.definition, "|".join(c.alt_ids), c.concept_id)
        for c in concepts
    ]
    with store.transaction() as connection:
        connection.executemany(statement, records)


def copy_compacted(source: Path, target: ConceptStore) -> None:
    """Copy the concept table at ``source`` into the new, empty store ``target`` with its name
    rows renumbered densely in their order (row ``r`` becomes ``r`` less the rows missing
    below it: the order compaction keeps the live vectors in), its name keys following their
    rows, then index and vacuum it."""
    keys = ConceptStore(source).has_name_keys()
    if keys:
        from .schema import create_tables

        create_tables(f"sqlite:///{target.path}", keys=True)
    renumbered = "SELECT row AS old, ROW_NUMBER() OVER (ORDER BY row) - 1 AS new FROM source.names"
    with target.transaction() as connection:  # ATTACH comes before the transaction's first write
        connection.execute("ATTACH DATABASE ? AS source", (str(source),))
        connection.execute("INSERT INTO concepts SELECT * FROM source.concepts")
        connection.execute(
            "INSERT INTO names (row, concept_id, name) SELECT "
            "ROW_NUMBER() OVER (ORDER BY row) - 1, concept_id, name FROM source.names"
        )
        if keys:
            connection.execute(
                f"INSERT INTO name_keys (key, row) SELECT k.key, m.new FROM source.name_keys k "
                f"JOIN ({renumbered}) m ON m.old = k.row"
            )
    connection.execute("DETACH DATABASE source")
    target.finish()
