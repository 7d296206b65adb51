"""Mention tables on disk (CSV, TSV, JSON Lines, Parquet): read and written chunk by chunk.

>>> link_table(linker, "mentions.parquet", "links.parquet", column="mention", k=5)  # doctest: +SKIP

Memory stays flat whatever the file's size: Parquet is read with
``pyarrow.parquet.ParquetFile.iter_batches`` and written with a ``ParquetWriter``; CSV, TSV and
JSONL go through pandas' ``chunksize``. CSV and TSV cells are read as text, as written (``NA``
stays ``NA``; an empty cell is an empty mention). The output is written beside the target as a
hidden ``.NAME.XXXXXXXX.partialSUFFIX`` and renamed when complete; on an error (a full disk
included: one :class:`~entitylink.errors.OutputError`) the partial file is removed. A directory
is never replaced.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from ..errors import TableFormatError
from ..files import check_output_file, commit_file, refuse_inputs, temporary_file, writing
from ..lines import TABLE_LINE_BYTES, CappedReader
from ..linking.linker import Linker
from .dataframe import check_columns, link_dataframe, output_columns
from .formats import TABLE_FORMATS, table_format

logger = logging.getLogger(__name__)

CHUNK_ROWS = 8_192


def _format(path: Path) -> str:
    fmt = table_format(path)
    if fmt is None:
        raise TableFormatError(
            f"{path}: unknown table extension; expected one of {', '.join(TABLE_FORMATS)}"
        )
    return fmt


def read_columns(path: str | Path) -> list[str]:
    """The column names of a table file, read without reading its rows."""
    path = Path(path)
    fmt = _format(path)
    if fmt == "parquet":
        return list(pq.read_schema(path).names)
    if fmt == "jsonl":
        first = next(read_chunks(path, chunk_rows=1), pd.DataFrame())
        return [str(c) for c in first.columns]
    return [str(c) for c in pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", nrows=0).columns]


def read_chunks(path: str | Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The rows of a table file as DataFrames of at most ``chunk_rows`` rows."""
    path = Path(path)
    fmt = _format(path)
    if fmt == "parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()
        return
    with capped(path) as text:  # a line past TABLE_LINE_BYTES is an error, not a heap
        if fmt == "jsonl":
            with pd.read_json(text, lines=True, chunksize=chunk_rows, dtype=False) as reader:
                yield from reader
        else:
            sep = "\t" if fmt == "tsv" else ","
            options: dict[str, Any] = {"dtype": str, "keep_default_na": False}
            with pd.read_csv(text, sep=sep, chunksize=chunk_rows, **options) as reader:
                yield from reader


def capped(path: Path) -> io.TextIOWrapper:
    """``path`` as UTF-8 text whose lines may be at most :data:`TABLE_LINE_BYTES` long."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise TableFormatError(f"{path}: cannot open: {exc.strerror or exc}") from None
    reader = CappedReader(raw, str(path), TABLE_LINE_BYTES, TableFormatError)
    return io.TextIOWrapper(io.BufferedReader(reader), encoding="utf-8-sig", newline="")


def count_rows(path: str | Path) -> int | None:
    """Rows of a Parquet file from its footer; None for text formats (not counted ahead)."""
    return pq.ParquetFile(path).metadata.num_rows if _format(Path(path)) == "parquet" else None


def candidate_schema(nested: bool, prefix: str = "") -> list[pa.Field]:
    """Arrow fields of the columns that linking adds."""
    if nested:
        item = pa.struct(
            [
                ("concept_id", pa.string()),
                ("name", pa.string()),
                ("matched_name", pa.string()),
                ("score", pa.float64()),
            ]
        )
        return [pa.field(f"{prefix}candidates", pa.list_(item))]
    types = (pa.int64(), pa.string(), pa.string(), pa.string(), pa.float64())
    return [pa.field(n, t) for n, t in zip(output_columns(False, prefix), types, strict=True)]


class TableWriter:
    """Append DataFrames to one table file; :meth:`close` renames the partial file into place."""

    def __init__(
        self,
        path: str | Path,
        schema: pa.Schema | None = None,
        added: Sequence[pa.Field] = (),
        overwrite: bool | None = None,
    ) -> None:
        """``schema`` fixes Parquet's columns; without it they are the first chunk's, with the
        ``added`` fields' types (so a first chunk without any candidate still types them);
        an existing file at ``path`` is replaced only with ``overwrite``."""
        self.path = Path(path)
        self.format = _format(self.path)
        self.overwrite = overwrite
        check_output_file(self.path, overwrite)
        self.partial = temporary_file(self.path)
        self.schema, self.added = schema, list(added)
        self.rows, self._header = 0, False
        self._parquet: pq.ParquetWriter | None = None
        self._text = None if self.format == "parquet" else self.partial.open("w", encoding="utf-8")

    def write(self, df: pd.DataFrame) -> None:
        if self.format == "parquet":
            self._write_parquet(df)
        elif self.format == "jsonl":
            assert self._text is not None
            if len(df):
                text = df.to_json(orient="records", lines=True, force_ascii=False)
                self._text.write(text if text.endswith("\n") else text + "\n")
        else:
            assert self._text is not None
            sep = "\t" if self.format == "tsv" else ","
            header, self._header = not self._header, True
            df.to_csv(self._text, sep=sep, index=False, header=header, lineterminator="\n")
        self.rows += len(df)

    def _write_parquet(self, df: pd.DataFrame) -> None:
        if self.schema is None:
            names = {f.name for f in self.added}
            given = pa.Schema.from_pandas(
                df[[c for c in df.columns if c not in names]], preserve_index=False
            )
            self.schema = pa.schema([*given.remove_metadata(), *self.added])
        try:
            table = pa.Table.from_pandas(df, schema=self.schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as exc:
            raise TableFormatError(f"{self.path}: a chunk does not fit the schema: {exc}") from exc
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.partial, self.schema)
        self._parquet.write_table(table.replace_schema_metadata(None))

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._text is not None:
            self._text.close()
        elif self._parquet is None:  # no chunk: still write an empty table with the schema
            schema = self.schema if self.schema is not None else pa.schema(self.added)
            pq.write_table(schema.empty_table(), self.partial)
        else:
            self._parquet.close()
        commit_file(self.partial, self.path, self.overwrite)

    def abort(self) -> None:
        """Drop the partial file (after an error)."""
        if self._text is not None:
            self._text.close()
        if self._parquet is not None:
            self._parquet.close()
        self.partial.unlink(missing_ok=True)


def output_schema(input_path: Path, nested: bool, prefix: str) -> pa.Schema | None:
    """The Parquet schema of linked rows: the input's columns, then the candidates'.

    CSV and TSV columns are text; JSONL columns are taken from the first chunk (None here).
    """
    fmt = _format(input_path)
    if fmt == "jsonl":
        return None
    if fmt == "parquet":
        fields = list(pq.read_schema(input_path).remove_metadata())
    else:
        fields = [pa.field(c, pa.string()) for c in read_columns(input_path)]
    return pa.schema(fields + candidate_schema(nested, prefix))


def write_chunks(
    chunks: Iterator[pd.DataFrame],
    output: Path,
    schema: pa.Schema | None,
    added: Sequence[pa.Field] = (),
    total: int | None = None,
    progress: bool = True,
    overwrite: bool | None = None,
) -> int:
    """Write linked chunks to ``output`` atomically; returns the rows written."""
    writer = TableWriter(output, schema, added, overwrite)
    try:
        with writing(output, inside=output.parent, note="; removed the partial file"):
            with tqdm(total=total, desc="linking", unit=" rows", disable=not progress) as bar:
                for chunk in chunks:
                    writer.write(chunk)
                    bar.update(int(chunk.attrs.get("input_rows", len(chunk))))
            writer.close()
    except BaseException:
        writer.abort()
        raise
    return writer.rows


def check_tables(
    source: Path,
    target: Path,
    column: str,
    nested: bool,
    prefix: str,
    overwrite: bool | None = None,
) -> None:
    """Refuse, before any work, an input without ``column``, an output of unknown format, an
    output that is the input, or an existing output without ``overwrite``."""
    refuse_inputs([target], [source])
    check_output_file(target, overwrite)
    try:
        check_columns(read_columns(source), column, nested, prefix)
    except TableFormatError as exc:
        raise TableFormatError(f"{source}: {exc}") from None
    _format(target)
    if nested and table_format(target) in ("csv", "tsv"):
        raise TableFormatError(f"{target}: nested candidates need a .jsonl or .parquet output")


def link_table(
    linker: Linker | Callable[[], Linker],
    input_path: str | Path,
    output_path: str | Path,
    column: str = "mention",
    k: int = 10,
    *,
    nested: bool = False,
    threshold: float | None = None,
    types: Collection[str] | None = None,
    prefix: str = "",
    chunk_rows: int = CHUNK_ROWS,
    progress: bool = True,
    overwrite: bool = False,
) -> int:
    """Link ``column`` of a table file into another table file; returns the rows written.

    Each chunk of ``chunk_rows`` input rows goes through :func:`link_dataframe`, so mentions
    are deduplicated within a chunk. ``linker`` may be a callable, called only once the input
    has been checked. An existing ``output_path`` is replaced only with ``overwrite``; the
    input itself never is.
    """
    source, target = Path(input_path), Path(output_path)
    check_tables(source, target, column, nested, prefix, overwrite)
    schema = output_schema(source, nested, prefix)
    loaded = linker if isinstance(linker, Linker) else linker()
    options: dict[str, Any] = {"nested": nested, "threshold": threshold, "types": types}

    def linked() -> Iterator[pd.DataFrame]:
        for chunk in read_chunks(source, chunk_rows):
            out = link_dataframe(loaded, chunk, column, k, prefix=prefix, **options)
            out.attrs["input_rows"] = len(chunk)
            yield out

    added = candidate_schema(nested, prefix)
    total = count_rows(source)
    rows = write_chunks(linked(), target, schema, added, total, progress, overwrite)
    logger.info("wrote %s: %d rows", target, rows)
    return rows
