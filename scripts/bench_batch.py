"""Mentions/s of each batch engine on the BC5CDR-disease test mentions, against Linker.link.

    python scripts/bench_batch.py indexes/medic --engines loop dataframe ray spark
    python scripts/bench_batch.py indexes/medic --engines loop dataframe --backend torch

Every engine links the same mentions (as written, duplicates included) with k=10 in the same
run, so the ratios to the plain loop hold even when the CPU is shared. For Ray and Spark,
"startup" is linking one row (workers start and load the index); "per batch" is the extra
time of a batch of blank mentions (scheduling and data transfer, no encoding). Prints a JSON
list, then a Markdown table.

Every engine loads the index as ``entitylink link`` does: the same option group
(:func:`entitylink.cli.options.add_load_options`: ``--backend``, ``--quantize``, ``--threads``,
``--mmap``...) and defaults, handed to Ray's actors and Spark's workers as the same
:class:`~entitylink.LoadOptions`; with no flag, the defaults a user meets (ONNX int8-block when
onnxruntime is installed); ``--backend torch`` is the PyTorch float32 path.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from entitylink import Linker, LoadOptions, link_dataframe, load_benchmark
from entitylink.cli.options import add_load_options, load_options

logger = logging.getLogger("bench_batch")
K, BATCH = 10, 1024


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def plain_loop(linker: Linker, texts: list[str]) -> None:
    for start in range(0, len(texts), BATCH):
        linker.link(texts[start : start + BATCH], K)


def ray_runner(index: Path, actors: int, options: LoadOptions) -> Callable[[pd.DataFrame], object]:
    import ray

    from entitylink.tables.ray import link_dataset

    ray.init(num_cpus=actors, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False

    def run(df: pd.DataFrame) -> object:
        parts = [df.iloc[i : i + BATCH] for i in range(0, len(df), BATCH)]
        ds = ray.data.from_pandas(parts)
        linked = link_dataset(ds, index, k=K, concurrency=actors, batch_size=BATCH, load=options)
        return linked.materialize()

    return run


def spark_runner(index: Path, cores: int, options: LoadOptions) -> Callable[[pd.DataFrame], object]:
    from pyspark.sql import SparkSession

    from entitylink.tables.spark import link_spark

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")

    def run(df: pd.DataFrame) -> object:
        sdf = spark.createDataFrame(df, "id long, mention string")
        return (
            link_spark(sdf, index, k=K, load=options).write.format("noop").mode("overwrite").save()
        )

    return run


def engine_figures(
    name: str, run: Callable[[pd.DataFrame], object], df: pd.DataFrame, loop_s: float
) -> dict[str, Any]:
    startup = timed(lambda: run(df.head(1)))
    blanks = pd.DataFrame({"id": range(8 * BATCH), "mention": [""] * (8 * BATCH)})
    per_batch = max(0.0, timed(lambda: run(blanks)) - startup) / 8
    seconds = timed(lambda: run(df))
    return {
        "engine": name,
        "seconds": round(seconds, 2),
        "mentions_per_s": round(len(df) / seconds, 1),
        "vs_loop": round(loop_s / seconds, 2),
        "startup_s": round(startup, 2),
        "overhead_per_batch_s": round(per_batch, 3),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", nargs="?", default="indexes/medic", type=Path)
    parser.add_argument("--engines", nargs="+", default=["loop", "dataframe", "ray", "spark"])
    parser.add_argument("--workers", type=int, default=2, help="Ray actors / Spark cores")
    add_load_options(parser)  # as entitylink link
    args = parser.parse_args(argv)
    options = load_options(args)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    texts = [m.text for m in load_benchmark("bc5cdr-disease", "test").mentions]
    df = pd.DataFrame({"id": range(len(texts)), "mention": texts})
    linker = Linker.from_dir(args.index, options)
    logger.info("options %s; encoder %s", options.to_json(), linker.encoder.config())
    linker.link(texts[:32], K)  # warm up
    loop_s = timed(lambda: plain_loop(linker, texts))
    rows: list[dict[str, Any]] = [
        {
            "engine": "Linker.link loop",
            "seconds": round(loop_s, 2),
            "mentions_per_s": round(len(texts) / loop_s, 1),
            "vs_loop": 1.0,
        }
    ]
    logger.info("%s", rows[-1])
    if "dataframe" in args.engines:
        seconds = timed(lambda: link_dataframe(linker, df, k=K, batch_size=128))
        rows.append(
            {
                "engine": "link_dataframe",
                "seconds": round(seconds, 2),
                "mentions_per_s": round(len(texts) / seconds, 1),
                "vs_loop": round(loop_s / seconds, 2),
            }
        )
        logger.info("%s", rows[-1])
    runners = {"ray": ray_runner, "spark": spark_runner}
    for engine in ("ray", "spark"):
        if engine in args.engines:
            label = f"Ray, {args.workers} actors" if engine == "ray" else "Spark local[2]"
            run = runners[engine](args.index, args.workers, options)
            rows.append(engine_figures(label, run, df, loop_s))
            logger.info("%s", rows[-1])
    print(json.dumps(rows, indent=2))
    columns = [
        "engine",
        "seconds",
        "mentions_per_s",
        "vs_loop",
        "startup_s",
        "overhead_per_batch_s",
    ]
    print(f"\n{len(texts)} mentions ({len(set(texts))} distinct), k={K}, index {args.index}")
    print(f"load options {options.to_json()}\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")


if __name__ == "__main__":
    main()
