"""The concept table of an index directory: ``concepts.sqlite`` through SQLAlchemy Core.

Two tables: ``concepts`` (one row per concept) and ``names`` (one row per name; ``names.row`` is
the name's row in the vector index). The store knows nothing about vectors.

>>> store = ConceptStore("indexes/sample/concepts.sqlite")         # doctest: +SKIP
>>> store.lookup([0, 5])                                            # doctest: +SKIP
[NameRow(row=0, concept_id='C0000005', name='(131)I-Macroaggregated Albumin', ...), ...]
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, cast
from urllib.parse import quote

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.dialects import sqlite as sqlite_dialect

from ..errors import IndexFormatError
from ..ids import id_variants
from ..records import Concept

metadata = sa.MetaData()
concepts_table = sa.Table(
    "concepts",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("types", sa.String, nullable=False, default=""),
    sa.Column("source", sa.String),
    sa.Column("definition", sa.String),
    sa.Column("alt_ids", sa.String, nullable=False, default=""),
)
names_table = sa.Table(
    "names",
    metadata,
    sa.Column("row", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("concept_id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
)
# A name's text as its encoder reads it (Encoder.key) -> the first row of that text: a mention
# with one of these keys gets the stored vector of that row instead of being encoded
name_keys_table = sa.Table(
    "name_keys",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("row", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)
# Read-only stores map the file (up to this size) instead of reading it page by page: the
# lookup SQL for 40 random rows of the MeSH store took 0.26 ms instead of 0.38 ms (sqlite3 alone).
MMAP_BYTES = 1 << 30


def _in_json(column: sa.Column[Any], values: str) -> sa.ColumnElement[bool]:
    """``column IN`` the JSON array bound as ``values``: one parameter, however many values.

    SQLAlchemy expands a plain ``IN`` list into one bound parameter per value (slow for tens of
    thousands) and SQLite caps them at 32,766; SQLite's ``json_each`` reads them from one.
    """
    return column.in_(
        sa.select(sa.column("value", column.type))
        .select_from(sa.func.json_each(sa.bindparam(values)))
        .scalar_subquery()
    )


_LOOKUP = (
    sa.select(
        names_table.c.row,
        names_table.c.concept_id,
        names_table.c.name,
        concepts_table.c.name,
        concepts_table.c.types,
    )
    .join(concepts_table, concepts_table.c.id == names_table.c.concept_id)
    .where(_in_json(names_table.c.row, "rows"))
)
# lookup() runs once per link() call: it hands this SQL to the driver, which spares SQLAlchemy's
# parameter and row processing (about 0.05 ms of a 5 ms single-mention link).
_LOOKUP_SQL = str(_LOOKUP.compile(dialect=sqlite_dialect.dialect()))
_KEYS_SQL = str(
    sa.select(name_keys_table.c.key, name_keys_table.c.row)
    .where(_in_json(name_keys_table.c.key, "keys"))
    .compile(dialect=sqlite_dialect.dialect())
)
_ALT_IDS = sa.select(concepts_table.c.id, concepts_table.c.alt_ids).where(
    _in_json(concepts_table.c.id, "ids")
)


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
    """

    def __init__(self, path: str | Path, *, readonly: bool = True) -> None:
        self.path = Path(path)
        if readonly:
            uri = f"file:{quote(str(self.path.absolute()))}?mode=ro"
            self.engine = sa.create_engine("sqlite://", creator=lambda: _open_readonly(uri))
        else:
            self.engine = sa.create_engine(f"sqlite:///{self.path}")

    @classmethod
    def create(cls, path: str | Path) -> ConceptStore:
        """A new, empty store (the file must not exist)."""
        store = cls(path, readonly=False)
        metadata.create_all(store.engine, tables=[concepts_table, names_table])
        return store

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A connection; SQLite's errors (a corrupt or unreadable file) as ``IndexFormatError``."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            error = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
            reason = str(error).strip() or type(error).__name__
            raise IndexFormatError(
                f"{self.path}: SQLite cannot read it ({reason}); run entitylink verify on the "
                "index directory, or rebuild it"
            ) from exc

    def add(self, concepts: Sequence[Concept], first_row: int) -> int:
        """Insert concepts and their names, numbered from ``first_row``; returns the next row.

        Raises ``sqlalchemy.exc.IntegrityError`` when a concept ID is already stored.
        """
        names, row = [], first_row
        for concept in concepts:
            for name in concept.names:
                names.append({"row": row, "concept_id": concept.concept_id, "name": name})
                row += 1
        with self.engine.begin() as connection:
            connection.execute(
                concepts_table.insert(),
                [
                    {
                        "id": c.concept_id,
                        "name": c.name,
                        "types": _join(c.types),
                        "source": c.source,
                        "definition": c.definition,
                        "alt_ids": _join(c.alt_ids),
                    }
                    for c in concepts
                ],
            )
            connection.execute(names_table.insert(), names)
        return row

    def finish(self, key: Callable[[str], str] | None = None) -> None:
        """Index names by concept once the bulk inserts are done, and compact the file.

        ``key`` (the encoder's :meth:`~entitylink.encoding.encoder.Encoder.key`) also fills
        the ``name_keys`` table: each distinct key of a name, with the first row having it.
        """
        with self.engine.begin() as connection:
            connection.execute(sa.text("CREATE INDEX names_concept_id ON names (concept_id)"))
            if key is not None:
                name_keys_table.create(connection)
                driver = cast(sqlite3.Connection, connection.connection.driver_connection)
                driver.create_function("name_key", 1, key, deterministic=True)
                driver.execute(
                    "INSERT OR IGNORE INTO name_keys (key, row) "
                    "SELECT name_key(name), row FROM names ORDER BY row"
                )
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM"))
        self.engine.dispose()

    def counts(self) -> tuple[int, int]:
        """``(concepts, names)``; names is one more than the largest row (rows are dense)."""
        with self._reading() as connection:
            concepts = connection.execute(sa.select(sa.func.count()).select_from(concepts_table))
            last = connection.execute(sa.select(sa.func.max(names_table.c.row))).scalar_one()
            return int(concepts.scalar_one()), 0 if last is None else int(last) + 1

    def names(self, start: int, stop: int) -> list[str]:
        """The names of rows ``start`` to ``stop - 1``, in row order."""
        query = (
            sa.select(names_table.c.name)
            .where(names_table.c.row >= start, names_table.c.row < stop)
            .order_by(names_table.c.row)
        )
        with self._reading() as connection:
            return list(connection.execute(query).scalars())

    def concept_names(self, start: int, stop: int) -> list[tuple[int, str, str]]:
        """``(row, concept_id, name)`` of rows ``start`` to ``stop - 1``, in row order (a text
        dictionary is built from these, batch by batch)."""
        query = (
            sa.select(names_table.c.row, names_table.c.concept_id, names_table.c.name)
            .where(names_table.c.row >= start, names_table.c.row < stop)
            .order_by(names_table.c.row)
        )
        with self._reading() as connection:
            return [(int(r[0]), r[1], r[2]) for r in connection.execute(query)]

    def lookup(self, rows: Iterable[int]) -> dict[int, NameRow]:
        """The names at ``rows`` with their concepts, by row, in one query."""
        wanted = json.dumps(sorted({int(row) for row in rows}))
        with self._reading() as connection:
            driver = cast(sqlite3.Connection, connection.connection.driver_connection)
            result = driver.execute(_LOOKUP_SQL, (wanted,))
            return {r[0]: NameRow(r[0], r[1], r[2], r[3], _split(r[4])) for r in result}

    def has_name_keys(self) -> bool:
        """Whether the store has the ``name_keys`` table (indexes built before it have none)."""
        with self._reading() as connection:
            return sa.inspect(connection).has_table(name_keys_table.name)

    def rows_of_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """The row of each of ``keys`` that is a name's key (others are left out)."""
        wanted = json.dumps(sorted(set(keys)), ensure_ascii=False)
        with self._reading() as connection:
            driver = cast(sqlite3.Connection, connection.connection.driver_connection)
            return dict(driver.execute(_KEYS_SQL, (wanted,)).fetchall())

    def alt_ids(self, concept_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The ``alt_ids`` of these concepts (those without any are left out)."""
        wanted = json.dumps(sorted(set(concept_ids)))
        with self._reading() as connection:
            result = connection.execute(_ALT_IDS, {"ids": wanted})
            return {r[0]: _split(r[1]) for r in result if r[1]}

    def has_types(self) -> bool:
        """Whether any concept of the store has a semantic type."""
        query = sa.select(concepts_table.c.id).where(concepts_table.c.types != "").limit(1)
        with self._reading() as connection:
            return connection.execute(query).first() is not None

    def rows_of_types(self, types: Iterable[str]) -> NDArray[np.int64]:
        """The name rows of concepts having at least one of ``types``, in row order."""
        joined = sa.literal("|").concat(concepts_table.c.types).concat("|")
        wanted = [joined.contains(f"|{t}|", autoescape=True) for t in sorted(set(types))]
        if not wanted:
            return np.zeros(0, dtype=np.int64)
        query = (
            sa.select(names_table.c.row)
            .join(concepts_table, concepts_table.c.id == names_table.c.concept_id)
            .where(sa.or_(*wanted))
            .order_by(names_table.c.row)
        )
        with self._reading() as connection:
            rows = connection.execute(query).scalars()
            return np.fromiter(rows, dtype=np.int64)

    def get(self, concept_id: str) -> Concept | None:
        """The concept with this ID, all its names included, or ``None``.

        The ID may be written in any usual variant of the stored one (``HP_0000118`` or the
        OBO PURL for ``HP:0000118``, ``D000001`` for ``MESH:D000001``; see :mod:`entitylink.ids`).
        """
        with self._reading() as connection:
            row = connection.execute(
                sa.select(concepts_table)
                .where(concepts_table.c.id.in_(id_variants(concept_id)))
                .order_by((concepts_table.c.id == concept_id).desc())  # as written, first
            ).first()
            if row is None:
                return None
            names = connection.execute(
                sa.select(names_table.c.name)
                .where(names_table.c.concept_id == row.id)
                .order_by(names_table.c.row)
            ).scalars()
            return Concept(
                concept_id=row.id,
                name=row.name,
                aliases=tuple(n for n in names if n != row.name),
                types=_split(row.types),
                definition=row.definition,
                source=row.source,
                alt_ids=_split(row.alt_ids),
            )


def _open_readonly(uri: str) -> sqlite3.Connection:
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    return connection
