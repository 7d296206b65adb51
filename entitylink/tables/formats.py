"""Which files are tables: known without importing pandas or pyarrow (``entitylink link`` asks
before it knows whether it will read one).

>>> table_format("mentions.PARQUET"), table_format("mentions.txt")
('parquet', None)
"""

from __future__ import annotations

from pathlib import Path

TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}


def table_format(path: str | Path) -> str | None:
    """``csv``, ``tsv``, ``jsonl`` or ``parquet`` from the file's extension; None otherwise."""
    return TABLE_FORMATS.get(Path(path).suffix.lower())
