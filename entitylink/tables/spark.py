"""Spark: link a column of a Spark DataFrame with ``mapInPandas``, one Linker per Python worker.

Needs the extra ``pip install 'entitylink[spark]'`` (and Java); pyspark is imported only when
:func:`link_spark` runs.

>>> df = spark.read.parquet("mentions.parquet")                                # doctest: +SKIP
>>> link_spark(df, "indexes/medic", column="mention", k=5).write.parquet("links/")  # doctest: +SKIP

Each Python worker loads the index directory once (memory-mapped where FAISS allows) and keeps
it in a module-level cache keyed by the directory, so the directory and the encoder's model must
be readable at the same path on every executor.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..encoding.threads import claim_share
from ..errors import MissingDependencyError
from ..linking.linker import Linker
from ..linking.options import LoadOptions
from .dataframe import link_dataframe

SPARK_HINT = "pip install 'entitylink[spark]'"
_LINKERS: dict[str, Linker] = {}  # per Python worker: index directory -> loaded Linker


def cached_linker(index_dir: str, load: LoadOptions | None = None) -> Linker:
    """This worker's Linker for ``index_dir``, loaded on first use, as ``load`` says."""
    if index_dir not in _LINKERS:
        from .ray import load_linker

        _LINKERS[index_dir] = load_linker(index_dir, load)
    return _LINKERS[index_dir]


def python_workers(session: Any) -> int:
    """Python workers that run at once on one machine: the executor's cores over the task's
    CPUs (``spark.executor.cores``, ``spark.task.cpus``), or local mode's parallelism."""
    conf = session.sparkContext.getConf()
    cores = int(conf.get("spark.executor.cores", "0") or 0)
    per_task = max(1, int(conf.get("spark.task.cpus", "1") or 1))
    if cores:
        return max(1, cores // per_task)
    return max(1, int(session.sparkContext.defaultParallelism) // per_task)


def _link_partition(
    batches: Iterator[pd.DataFrame],
    index_dir: str,
    column: str,
    k: int,
    options: dict[str, Any],
    processes: int = 1,
    load: LoadOptions | None = None,
) -> Iterator[pd.DataFrame]:
    claim_share(processes)  # this worker's share of the cores, before the encoder runs
    linker = cached_linker(index_dir, load)
    for batch in batches:
        yield link_dataframe(linker, batch, column, k, **options).reset_index(drop=True)


def spark_schema(input_schema: Any, nested: bool, prefix: str = "") -> Any:
    """The input's Spark schema plus the columns linking adds."""
    try:
        from pyspark.sql import types as T
    except ImportError as exc:
        raise MissingDependencyError(f"pyspark is not installed ({exc}): {SPARK_HINT}") from exc
    if nested:
        item = T.StructType(
            [
                T.StructField("concept_id", T.StringType()),
                T.StructField("name", T.StringType()),
                T.StructField("matched_name", T.StringType()),
                T.StructField("score", T.DoubleType()),
            ]
        )
        added = [T.StructField(f"{prefix}candidates", T.ArrayType(item))]
    else:
        kinds = [T.LongType(), T.StringType(), T.StringType(), T.StringType(), T.DoubleType()]
        names = ("rank", "concept_id", "name", "matched_name", "score")
        added = [T.StructField(prefix + n, t) for n, t in zip(names, kinds, strict=True)]
    return T.StructType([*input_schema.fields, *added])


def link_spark(
    df: Any,
    index_dir: str | Path,
    column: str = "mention",
    k: int = 10,
    *,
    nested: bool = False,
    threshold: float | None = None,
    types: Collection[str] | None = None,
    prefix: str = "",
    load: LoadOptions | None = None,
) -> Any:
    """A lazy Spark DataFrame: ``df`` with its ``column`` linked, as :func:`link_dataframe`.

    Each Python worker encodes on ``cores // workers`` threads (:func:`python_workers`), so
    the workers of one machine do not oversubscribe its cores; ``load``: how each worker loads
    the linker (:class:`~entitylink.LoadOptions`).

    Rows go to the Python workers in Arrow batches
    (``spark.sql.execution.arrow.maxRecordsPerBatch``, 10,000 by default); mentions are
    deduplicated within a batch.
    """
    from .dataframe import check_columns

    schema = spark_schema(df.schema, nested, prefix)
    check_columns(df.columns, column, nested, prefix)
    options = {"nested": nested, "threshold": threshold, "types": types, "prefix": prefix}
    function = functools.partial(
        _link_partition,
        index_dir=str(Path(index_dir).resolve()),
        column=column,
        k=k,
        options=options,
        processes=python_workers(df.sparkSession),
        load=load,
    )
    return df.mapInPandas(function, schema)
