"""Ray: link a Ray Dataset with actors that each hold one Linker; encode names in parallel actors.

Needs the extra ``pip install 'entitylink[ray]'``; Ray is imported only when a function here runs.

>>> import ray                                                            # doctest: +SKIP
>>> ray.init()  # or ray.init(address="ray://head:10001")                 # doctest: +SKIP
>>> ds = ray.data.read_parquet("mentions.parquet")                        # doctest: +SKIP
>>> link_dataset(ds, "indexes/medic", k=5).write_parquet("links/")        # doctest: +SKIP

Every actor loads the index directory itself (memory-mapped where FAISS allows), so the
directory and the encoder's model must be readable at the same path on every node.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Collection
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm.auto import tqdm

from ..encoding.encoder import Encoder
from ..encoding.threads import claim_share
from ..errors import IndexFormatError, MissingDependencyError
from ..index.build import ENCODE_CHUNK, NameEncoding
from ..index.store import ConceptStore
from ..index.vector_file import release_rows
from ..linking.linker import Linker
from ..linking.options import LoadOptions
from .dataframe import link_dataframe

logger = logging.getLogger(__name__)

RAY_HINT = "pip install 'entitylink[ray]'"


def import_ray() -> Any:
    """The ``ray`` module with Ray Data, or a :class:`MissingDependencyError` naming the extra."""
    try:
        import ray
        import ray.data  # noqa: F401 - Ray Data is a separate install of ray[data]
        import ray.util  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(f"Ray Data is not installed ({exc}): {RAY_HINT}") from exc
    return ray


def init_ray(address: str | None = None, num_cpus: int | None = None) -> None:
    """Start Ray locally, or join the cluster at ``address``, unless already started."""
    ray = import_ray()
    if not ray.is_initialized():
        ray.init(address=address, num_cpus=num_cpus, include_dashboard=False)


def load_linker(index_dir: str | Path, options: LoadOptions | None = None) -> Linker:
    """``Linker.from_dir``, reading the FAISS file when it cannot be memory-mapped."""
    options = options or LoadOptions()
    if options.mmap:
        try:
            return Linker.from_dir(index_dir, options)
        except (RuntimeError, IndexFormatError) as exc:
            logger.info("cannot memory-map %s (%s); reading it instead", index_dir, exc)
    return Linker.from_dir(index_dir, options.replace(mmap=False))


class LinkerActor:
    """A Ray Data actor: loads the index once, then links every batch it is given.

    One of ``processes`` actors: its encoder takes its share of the cores
    (:func:`~entitylink.encoding.threads.claim_share`), so the actors do not oversubscribe them.
    """

    def __init__(
        self,
        index_dir: str,
        column: str,
        k: int,
        options: dict[str, Any],
        processes: int = 1,
        load: LoadOptions | None = None,
    ) -> None:
        self.threads = claim_share(processes)
        self.linker = load_linker(index_dir, load)
        self.column, self.k, self.options = column, k, options

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        out = link_dataframe(self.linker, batch, self.column, self.k, **self.options)
        return out.reset_index(drop=True)


def link_dataset(
    ds: Any,
    index_dir: str | Path,
    column: str = "mention",
    k: int = 10,
    *,
    nested: bool = False,
    threshold: float | None = None,
    types: Collection[str] | None = None,
    prefix: str = "",
    concurrency: int = 2,
    batch_size: int = 1024,
    num_cpus: float | None = None,
    num_gpus: float = 0,
    load: LoadOptions | None = None,
) -> Any:
    """A lazy ``ray.data.Dataset``: ``ds`` with its ``column`` linked, as :func:`link_dataframe`.

    Batches of ``batch_size`` rows go to ``concurrency`` :class:`LinkerActor` actors, each with
    ``num_cpus`` CPUs and ``num_gpus`` GPUs (the encoder runs on CUDA when given one). Mentions
    are deduplicated within a batch. Ray Data's read tasks need a CPU beyond the actors', or the
    read waits forever: ``num_cpus=None`` gives each actor 1 CPU, or less so that one CPU of the
    cluster stays free (on 2 CPUs: 2 actors of 0.5 CPU). ``load``: how each actor loads the
    linker (:class:`~entitylink.LoadOptions`; with ``num_gpus``, on CUDA); each actor encodes
    on ``cores // concurrency`` threads unless it sets ``threads``.
    """
    ray = import_ray()
    cpus = ray.cluster_resources().get("CPU", 0) if ray.is_initialized() else 0
    if num_cpus is None:
        num_cpus = min(1.0, max(0.1, (cpus - 1) / concurrency)) if cpus else 1.0
    elif cpus and concurrency * num_cpus >= cpus:
        logger.warning(
            "%d actors x %g CPUs take every CPU of the Ray cluster: reading the input needs "
            "one more, or the job waits forever; lower --actors or --cpus-per-actor",
            concurrency,
            num_cpus,
        )
    options = {"nested": nested, "threshold": threshold, "types": types, "prefix": prefix}
    return ds.map_batches(
        LinkerActor,
        fn_constructor_kwargs={
            "index_dir": str(Path(index_dir).resolve()),
            "column": column,
            "k": k,
            "options": options,
            "processes": concurrency,
            "load": (load or LoadOptions()).replace(device="cuda" if num_gpus else None),
        },
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        batch_size=batch_size,
        batch_format="pandas",
        num_cpus=num_cpus,
        num_gpus=num_gpus,
    )


EncoderFactory = Callable[[dict[str, Any], str], Any]
"""Builds an actor's encoder from ``(config, device)``; the result needs ``encode(names,
batch_size=...)``. Default: ``Encoder.from_config``."""


class EncoderActor:
    """A Ray actor holding one encoder; encodes shards of names on its share of the cores (one of
    ``processes`` actors) and says on which node."""

    def __init__(
        self,
        config: dict[str, Any],
        device: str,
        processes: int = 1,
        factory: EncoderFactory | None = None,
    ) -> None:
        self.threads = claim_share(processes)
        make = factory or (lambda c, d: Encoder.from_config(c, device=d))
        self.encoder = make(config, device)
        self.node = str(import_ray().get_runtime_context().get_node_id())

    def encode(
        self, start: int, names: list[str], batch_size: int
    ) -> tuple[int, NDArray[np.float32], str]:
        return start, self.encoder.encode(names, batch_size=batch_size), self.node


def encode_vocabulary(
    store: ConceptStore,
    vectors: NDArray[np.float32],
    encoder_config: dict[str, Any],
    *,
    actors: int = 2,
    cpus_per_actor: float = 1,
    gpus_per_actor: float = 0,
    batch_size: int = 128,
    shard_size: int = ENCODE_CHUNK,
    progress: bool = True,
    encoder_factory: EncoderFactory | None = None,
) -> None:
    """Encode the store's names into ``vectors`` (row i = name i) with ``actors`` Ray actors.

    Shards of ``shard_size`` names are sent out, at most two per actor in flight, and written
    back at their rows as they return, so memory stays flat and the row order is the store's.
    Each shard's node is logged (DEBUG), and the shards per node at the end (INFO).
    ``encoder_factory`` builds each actor's encoder (default: ``Encoder.from_config``).
    """
    if actors < 1 or shard_size < 1:
        raise ValueError(f"actors and shard_size must be at least 1, got {actors}, {shard_size}")
    ray = import_ray()
    device = "cuda" if gpus_per_actor else "cpu"
    remote = ray.remote(num_cpus=cpus_per_actor, num_gpus=gpus_per_actor)(EncoderActor)
    handles = [
        remote.remote(encoder_config, device, actors, encoder_factory) for _ in range(actors)
    ]
    pool = ray.util.ActorPool(handles)
    n = len(vectors)
    starts = iter(range(0, n, shard_size))

    def submit(start: int) -> None:
        names = store.names(start, min(n, start + shard_size))
        pool.submit(lambda actor, args: actor.encode.remote(*args), (start, names, batch_size))

    per_node: Counter[str] = Counter()
    try:
        for start in islice(starts, 2 * actors):
            submit(start)
        with tqdm(total=n, desc="encoding names", unit=" names", disable=not progress) as bar:
            while pool.has_next():
                start, block, node = pool.get_next_unordered()
                vectors[start : start + len(block)] = block
                release_rows(vectors, start, start + len(block))
                per_node[node] += 1
                logger.debug("names %d-%d encoded on node %s", start, start + len(block), node)
                bar.update(len(block))
                if (following := next(starts, None)) is not None:
                    submit(following)
        logger.info("shards encoded per Ray node: %s", dict(per_node))
    finally:
        for handle in handles:
            ray.kill(handle)


def ray_encode_names(encoder_config: dict[str, Any], **options: Any) -> NameEncoding:
    """The ``encode_names`` hook of :func:`~entitylink.index.build.build_index` on Ray actors.

    ``options`` are those of :func:`encode_vocabulary` (``actors``, ``cpus_per_actor``...).
    """
    import_ray()
    return functools.partial(encode_vocabulary, encoder_config=encoder_config, **options)


def read_dataset(path: str | Path) -> Any:
    """A table file as a ``ray.data.Dataset``, read as :func:`~entitylink.tables.io.read_chunks`
    reads it (CSV and TSV cells as text, empty cells as empty strings)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from .formats import table_format
    from .io import read_columns

    ray = import_ray()
    fmt = table_format(path)
    if fmt == "parquet":
        return ray.data.read_parquet(str(path))
    if fmt == "jsonl":
        return ray.data.read_json(str(path), lines=True)
    columns = read_columns(path)
    return ray.data.read_csv(
        str(path),
        parse_options=pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ","),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=False
        ),
    )


def link_table_ray(
    index_dir: str | Path,
    input_path: str | Path,
    output_path: str | Path,
    column: str = "mention",
    k: int = 10,
    *,
    chunk_rows: int = 8_192,
    progress: bool = True,
    overwrite: bool = False,
    **options: Any,
) -> int:
    """:func:`~entitylink.tables.io.link_table` through :func:`link_dataset`.

    Ray reads the input and links it in its actors; this process streams the linked batches,
    in input order, into one output file (an existing one replaced only with ``overwrite``).
    ``options``: those of :func:`link_dataset`.
    """
    from .io import candidate_schema, check_tables, output_schema, write_chunks

    ray = import_ray()
    source, target = Path(input_path), Path(output_path)
    nested, prefix = options.get("nested", False), options.get("prefix", "")
    check_tables(source, target, column, nested, prefix, overwrite)
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    linked = link_dataset(read_dataset(source), index_dir, column, k, **options)
    chunks = (batch for batch in linked.iter_batches(batch_size=chunk_rows, batch_format="pandas"))
    schema = output_schema(source, nested, prefix)
    added = candidate_schema(nested, prefix)
    return write_chunks(chunks, target, schema, added, None, progress, overwrite)
