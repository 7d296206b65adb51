"""Batch options of the CLI (see :mod:`entitylink.cli`): table files in and out, and Ray.

``link --input FILE.{csv,tsv,jsonl,parquet}`` links a column of a table into ``--output``;
``--engine ray`` (on ``link`` and ``build-index``) spreads the work over Ray actors.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

logger = logging.getLogger("entitylink")


def engine_options() -> argparse.ArgumentParser:
    """``--engine``, ``--actors``... shared by ``build-index`` and ``link``."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("engine (Ray needs: pip install 'entitylink[ray]')")
    group.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (default); ray: Ray actors, each loading the model once",
    )
    group.add_argument("--actors", type=int, default=2, help="Ray actors (default: 2)")
    group.add_argument(
        "--cpus-per-actor",
        type=float,
        help="CPUs per Ray actor (default: 1; when linking, less if the actors would take every "
        "CPU of the cluster, so that one stays free for reading the input)",
    )
    group.add_argument(
        "--gpus-per-actor", type=float, default=0, help="GPUs per Ray actor (default: 0)"
    )
    group.add_argument(
        "--ray-address", help="join this Ray cluster (e.g. ray://head:10001; default: local)"
    )
    return parent


def add_table_options(link: argparse.ArgumentParser) -> None:
    group = link.add_argument_group("tables (--input FILE.csv/.tsv/.jsonl/.parquet)")
    group.add_argument(
        "--column", default="mention", help="column holding the mentions (default: mention)"
    )
    group.add_argument(
        "--nested",
        action="store_true",
        help="one row per input row with a list of candidates (.jsonl/.parquet output), "
        "instead of one row per (mention, rank)",
    )
    group.add_argument("--prefix", default="", help="prefix of the added columns' names")
    group.add_argument(
        "--chunk-rows",
        type=int,
        default=8_192,
        help="rows read, linked and written at a time (default: 8192)",
    )


def ray_encode_names(args: argparse.Namespace, encoder_config: dict[str, Any]) -> Any:
    """The ``encode_names`` hook for ``build-index --engine ray``, or None for local."""
    if args.engine != "ray":
        return None
    from .distributed import init_ray, ray_encode_names

    init_ray(args.ray_address)
    return ray_encode_names(
        encoder_config,
        actors=args.actors,
        cpus_per_actor=args.cpus_per_actor or 1,
        gpus_per_actor=args.gpus_per_actor,
        batch_size=args.batch_size,
        progress=not args.quiet,
    )


def run_link_table(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """``link --input TABLE --output TABLE``."""
    if args.output is None or args.mentions:
        parser.error("a table --input needs --output FILE and no mentions as arguments")
    common: dict[str, Any] = {
        "nested": args.nested,
        "threshold": args.threshold,
        "types": args.types,
        "prefix": args.prefix,
        "chunk_rows": args.chunk_rows,
        "progress": not args.quiet,
    }
    table = (args.input, args.output, args.column, args.k)
    if args.engine == "ray":
        from .distributed import init_ray, link_table_ray

        init_ray(args.ray_address)
        rows = link_table_ray(
            args.index,
            *table,
            concurrency=args.actors,
            num_cpus=args.cpus_per_actor,
            num_gpus=args.gpus_per_actor,
            **common,
        )
    else:
        from .linker import Linker
        from .tables_io import link_table

        def load() -> Linker:
            params = dict(args.search_param or [])
            return Linker.from_dir(args.index, device=args.device, search_params=params)

        rows = link_table(load, *table, **common)
    logger.info("linked %s into %s (%d rows)", args.input, args.output, rows)
