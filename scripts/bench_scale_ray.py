"""Build one synthetic vocabulary twice, in this process and on a Ray cluster, and compare.

The stand-in encoder of scripts/scale_names.py runs in Ray actors (one CPU each) through
``encode_vocabulary(..., encoder_factory=...)``; the log names the node of every shard. Start a
cluster of two nodes first (see docs/batch.md, "Building on a Ray cluster"), e.g. on one host:

    ray start --head --num-cpus 1 --port 6390 --include-dashboard=false
    ray start --address 127.0.0.1:6390 --num-cpus 1 --resources '{"worker_node": 1}'
    python scripts/bench_scale_ray.py indexes/scale-200000/MRCONSO.RRF --address 127.0.0.1:6390
    python scripts/compare_indexes.py indexes/ray-check/single indexes/ray-check/ray
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_names  # noqa: E402
from bench_scale import Stages, encode_hook  # noqa: E402

from entitylink import read_vocabulary  # noqa: E402

logger = logging.getLogger("bench_scale_ray")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mrconso", type=Path, help="an MRCONSO.RRF, e.g. from bench_scale.py")
    parser.add_argument("--address", help="Ray cluster (default: a local ray.init)")
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--shard-size", type=int, default=16_384)
    parser.add_argument("--out-dir", type=Path, default=Path("indexes/ray-check"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("entitylink.tables.ray").setLevel(logging.DEBUG)
    import cloudpickle
    import ray

    from entitylink.index.build import build_index
    from entitylink.tables.ray import encode_vocabulary, init_ray

    encoder = scale_names.HashedNgramEncoder(args.dim)
    result: dict[str, Any] = {}
    started = time.perf_counter()
    build_index(
        read_vocabulary(args.mrconso),
        encoder,  # type: ignore[arg-type]  # gives the manifest its config and dim
        args.out_dir / "single",
        spec="Flat",
        overwrite=True,
        progress=False,
        encode_names=encode_hook(encoder, Stages(), "single"),
    )
    result["single_s"] = round(time.perf_counter() - started, 2)
    init_ray(args.address)
    cloudpickle.register_pickle_by_value(scale_names)  # the actors cannot import scripts/
    nodes = [n["NodeID"] for n in ray.nodes() if n["Alive"]]
    logger.info("Ray nodes: %s, resources %s", nodes, ray.cluster_resources())

    def on_ray(store: Any, vectors: Any) -> None:
        encode_vocabulary(
            store,
            vectors,
            encoder.config(),
            actors=args.actors,
            shard_size=args.shard_size,
            progress=False,
            encoder_factory=scale_names.standin_from_config,
        )

    started = time.perf_counter()
    build_index(
        read_vocabulary(args.mrconso),
        encoder,  # type: ignore[arg-type]
        args.out_dir / "ray",
        spec="Flat",
        overwrite=True,
        progress=False,
        encode_names=on_ray,
    )
    result.update(ray_s=round(time.perf_counter() - started, 2), nodes=nodes)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
