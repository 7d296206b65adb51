"""The tables of ``concepts.sqlite``, in SQLAlchemy Core: what a new store is created with.

- ``concepts``: one row per concept (ID, canonical name, ``|``-joined types and alternative
  IDs, source, definition);
- ``names``: one row per name; ``names.row`` is the name's row in the vector index;
- ``name_keys``: each distinct name as its encoder reads it (``Encoder.key``), with the first
  row having it; a mention with one of these keys takes that row's stored vector
  (:mod:`entitylink.linking.queries`). Indexes built before it have none.

Only building imports this module (and SQLAlchemy): :mod:`.store` reads and writes the tables
with the standard library's ``sqlite3``, which spares linking SQLAlchemy's import (22 MB of
RSS and 80 ms).
"""

from __future__ import annotations

import sqlalchemy as sa

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
name_keys_table = sa.Table(
    "name_keys",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("row", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)


def create_tables(url: str, *, keys: bool = False) -> None:
    """Create ``concepts`` and ``names`` (and ``name_keys`` with ``keys``) in the SQLite
    database at ``url`` (``sqlite:///path``)."""
    engine = sa.create_engine(url)
    try:
        tables = [concepts_table, names_table] + ([name_keys_table] if keys else [])
        metadata.create_all(engine, tables=tables)
    finally:
        engine.dispose()
