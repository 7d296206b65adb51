"""The concept table of an index directory: ``concepts.sqlite``, read and written through the
standard library's ``sqlite3`` (the tables are :mod:`.schema`'s).

``concepts`` has one row per concept, ``names`` one per name (``names.row`` is the name's row in
the vector index), ``name_keys`` maps each name as the encoder reads it to a row. The store
knows nothing about vectors.

>>> store = ConceptStore("indexes/sample/concepts.sqlite")         # doctest: +SKIP
>>> store.lookup([0, 5])                                            # doctest: +SKIP
{0: NameRow(row=0, concept_id='C0000005', name='(131)I-Macroaggregated Albumin', ...), ...}
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import numpy as np
from numpy.typing import NDArray

from ..errors import IndexFormatError
from ..ids import id_variants
from ..records import Concept

# Read-only stores map the file (up to this size) instead of reading it page by page: the
# lookup SQL for 40 random rows of the MeSH store took 0.26 ms instead of 0.38 ms.
MMAP_BYTES = 1 << 30

# Many values are bound as one JSON array read by SQLite's json_each: one parameter however many
# values (SQLite caps parameters at 32,766; a 30,000-value IN list was slow to expand).
_LOOKUP = """
    SELECT names.row, names.concept_id, names.name, concepts.name, concepts.types
    FROM names JOIN concepts ON concepts.id = names.concept_id
    WHERE names.row IN (SELECT value FROM json_each(?))"""
_CONCEPTS_OF = "SELECT row, concept_id FROM names WHERE row IN (SELECT value FROM json_each(?))"
_KEYS = "SELECT key, row FROM name_keys WHERE key IN (SELECT value FROM json_each(?))"
_ALT_IDS = "SELECT id, alt_ids FROM concepts WHERE id IN (SELECT value FROM json_each(?))"
_ROWS_OF_TYPES = """
    SELECT names.row FROM names JOIN concepts ON concepts.id = names.concept_id
    WHERE EXISTS (SELECT 1 FROM json_each(?) WHERE instr('|' || concepts.types || '|', value))
    ORDER BY names.row"""
_INSERT_CONCEPT = "INSERT INTO concepts (id, name, types, source, definition, alt_ids) VALUES "
_INSERT_NAME = "INSERT INTO names (row, concept_id, name) VALUES (?, ?, ?)"


class NameRow(NamedTuple):
    """One name of the index, joined with its concept.

    A named tuple, not a frozen dataclass: a batch of mentions looks up tens of thousands of
    rows, and a frozen dataclass took 5-10x longer to build (``scripts/bench_link.py``).
    """

    row: int
    concept_id: str
    name: str
    canonical_name: str
    types: tuple[str, ...]


def _join(values: Iterable[str]) -> str:
    return "|".join(values)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split("|")) if value else ()


class ConceptStore:
    """Read and write ``concepts.sqlite``.

    Opened read-only (the default), a store never changes its file and works in a read-only
    directory; every SQLite error while reading becomes an ``IndexFormatError`` naming the file.
    Each thread gets its own connection (a service answers from several).
    """

    def __init__(self, path: str | Path, *, readonly: bool = True) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @classmethod
    def create(cls, path: str | Path) -> ConceptStore:
        """A new, empty store (the file must not exist)."""
        from .schema import create_tables  # SQLAlchemy: building only

        create_tables(f"sqlite:///{path}")
        return cls(path, readonly=False)

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again in a forked child: a
        connection must not cross a fork)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            if self.readonly:
                uri = f"file:{quote(str(self.path.absolute()))}?mode=ro"
                connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
                connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            else:
                connection = sqlite3.connect(self.path, check_same_thread=False)
            self._local.connection, self._local.pid = connection, os.getpid()
            with self._lock:
                self._opened.append(connection)
        return connection

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection; SQLite's errors (a corrupt or unreadable file) as ``IndexFormatError``."""
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            reason = str(exc).strip() or type(exc).__name__
            raise IndexFormatError(
                f"{self.path}: SQLite cannot read it ({reason}); run entitylink verify on the "
                "index directory, or rebuild it"
            ) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction on a writable store: committed at the end, rolled back on an error."""
        connection = self._connection()
        with connection:
            yield connection

    def close(self) -> None:
        """Close every connection of every thread (a later call opens new ones)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()

    def add(self, concepts: Sequence[Concept], first_row: int) -> int:
        """Insert concepts and their names, numbered from ``first_row``; returns the next row.

        Raises ``sqlite3.IntegrityError`` when a concept ID is already stored.
        """
        names, row = [], first_row
        for concept in concepts:
            for name in concept.names:
                names.append((row, concept.concept_id, name))
                row += 1
        rows = [
            (c.concept_id, c.name, _join(c.types), c.source, c.definition, _join(c.alt_ids))
            for c in concepts
        ]
        with self._connection() as connection:  # one transaction
            connection.executemany(_INSERT_CONCEPT + "(?, ?, ?, ?, ?, ?)", rows)
            connection.executemany(_INSERT_NAME, names)
        return row

    def finish(self, key: Callable[[str], str] | None = None) -> None:
        """Index names by concept once the bulk inserts are done, and compact the file.

        ``key`` (the encoder's :meth:`~entitylink.encoding.encoder.Encoder.key`) also fills
        the ``name_keys`` table: each distinct key of a name, with the first row having it.
        """
        with self.transaction() as connection:
            connection.execute("CREATE INDEX names_concept_id ON names (concept_id)")
        if key is not None:
            from .schema import create_tables

            create_tables(f"sqlite:///{self.path}", keys=True)
            self.add_name_keys(key, since=0)
        self._connection().execute("VACUUM")
        self.close()

    def add_name_keys(self, key: Callable[[str], str], *, since: int) -> None:
        """Give the names from row ``since`` on their keys; a key some name already has keeps
        its row (the first name to have it)."""
        with self.transaction() as connection:
            connection.create_function("name_key", 1, key, deterministic=True)
            connection.execute(
                "INSERT OR IGNORE INTO name_keys (key, row) "
                "SELECT name_key(name), row FROM names WHERE row >= ? ORDER BY row",
                (since,),
            )

    def counts(self) -> tuple[int, int]:
        """``(concepts, names)``; names is one more than the largest row (rows are dense)."""
        with self._reading() as connection:
            (concepts,) = connection.execute("SELECT count(*) FROM concepts").fetchone()
            (last,) = connection.execute("SELECT max(row) FROM names").fetchone()
            return int(concepts), 0 if last is None else int(last) + 1

    def names(self, start: int, stop: int) -> list[str]:
        """The names of rows ``start`` to ``stop - 1``, in row order."""
        query = "SELECT name FROM names WHERE row >= ? AND row < ? ORDER BY row"
        with self._reading() as connection:
            return [r[0] for r in connection.execute(query, (start, stop))]

    def concept_names(self, start: int, stop: int) -> list[tuple[int, str, str]]:
        """``(row, concept_id, name)`` of rows ``start`` to ``stop - 1``, in row order (a text
        dictionary is built from these, batch by batch)."""
        query = "SELECT row, concept_id, name FROM names WHERE row >= ? AND row < ? ORDER BY row"
        with self._reading() as connection:
            return [(int(r[0]), r[1], r[2]) for r in connection.execute(query, (start, stop))]

    def lookup(self, rows: Iterable[int]) -> dict[int, NameRow]:
        """The names at ``rows`` with their concepts, by row, in one query."""
        wanted = json.dumps(sorted({int(row) for row in rows}))
        with self._reading() as connection:
            result = connection.execute(_LOOKUP, (wanted,))
            return {r[0]: NameRow(r[0], r[1], r[2], r[3], _split(r[4])) for r in result}

    def concepts_of(self, rows: Iterable[int]) -> dict[int, str]:
        """The concept ID of each of ``rows``, by row (cheaper than :meth:`lookup`: one table,
        two columns; the linker collapses its hits with it, then looks up the few it keeps)."""
        wanted = json.dumps(sorted({int(row) for row in rows}))
        with self._reading() as connection:
            return dict(connection.execute(_CONCEPTS_OF, (wanted,)).fetchall())

    def has_name_keys(self) -> bool:
        """Whether the store has the ``name_keys`` table (indexes built before it have none)."""
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'name_keys'"
        with self._reading() as connection:
            return connection.execute(query).fetchone() is not None

    def rows_of_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """The row of each of ``keys`` that is a name's key (others are left out)."""
        wanted = json.dumps(sorted(set(keys)), ensure_ascii=False)
        with self._reading() as connection:
            return dict(connection.execute(_KEYS, (wanted,)).fetchall())

    def alt_ids(self, concept_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The ``alt_ids`` of these concepts (those without any are left out)."""
        wanted = json.dumps(sorted(set(concept_ids)), ensure_ascii=False)
        with self._reading() as connection:
            result = connection.execute(_ALT_IDS, (wanted,))
            return {r[0]: _split(r[1]) for r in result if r[1]}

    def has_types(self) -> bool:
        """Whether any concept of the store has a semantic type."""
        query = "SELECT 1 FROM concepts WHERE types != '' LIMIT 1"
        with self._reading() as connection:
            return connection.execute(query).fetchone() is not None

    def rows_of_types(self, types: Iterable[str]) -> NDArray[np.int64]:
        """The name rows of concepts having at least one of ``types``, in row order."""
        wanted = [f"|{t}|" for t in sorted(set(types))]
        if not wanted:
            return np.zeros(0, dtype=np.int64)
        with self._reading() as connection:
            rows = connection.execute(_ROWS_OF_TYPES, (json.dumps(wanted, ensure_ascii=False),))
            return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def get(self, concept_id: str) -> Concept | None:
        """The concept with this ID, all its names included, or ``None``.

        The ID may be written in any usual variant of the stored one (``HP_0000118`` or the
        OBO PURL for ``HP:0000118``, ``D000001`` for ``MESH:D000001``; see :mod:`entitylink.ids`).
        """
        variants = json.dumps(list(id_variants(concept_id)), ensure_ascii=False)
        query = (
            "SELECT id, name, types, source, definition, alt_ids FROM concepts "
            "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id = ? DESC LIMIT 1"
        )  # the ID as written first
        with self._reading() as connection:
            found = connection.execute(query, (variants, concept_id)).fetchone()
            if found is None:
                return None
            cid, name, types, source, definition, alt_ids = found
            names = connection.execute(
                "SELECT name FROM names WHERE concept_id = ? ORDER BY row", (cid,)
            )
            return Concept(
                concept_id=cid,
                name=name,
                aliases=tuple(n for (n,) in names if n != name),
                types=_split(types),
                definition=definition,
                source=source,
                alt_ids=_split(alt_ids),
            )
