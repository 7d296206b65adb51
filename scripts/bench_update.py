"""Time ``update_index`` (add names, retire concepts) and ``compact_index`` against a full build
of the same index, with the stand-in encoder of ``scripts/scale_names.py``.

One MRCONSO.RRF of ``--names`` + the largest ``--add`` synthetic names is generated; the first
``--names`` names' concepts are built into one index per ``--spec`` (the real build path, the
stand-in vectors through ``encode_names``), then each update runs on a fresh copy of it: add the
next ``A`` names' concepts for each ``--add A``, retire ``--retire`` concepts, and compact that.
Per step: wall time, the part spent encoding (the stand-in is nearly free; a real encoder is
not), peak RSS (sampled every 0.1 s).

Examples:
    python scripts/bench_update.py --names 20000 --add 1000 5000 --retire 1000     # seconds
    nice -n 19 python scripts/bench_update.py --names 200000 --add 10000 100000 \\
        --retire 10000 --spec Flat IVF1024,SQ8 HNSW32 --out update-200k.json
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import ENCODE_CHUNK, Stages  # noqa: E402
from scale_names import (  # noqa: E402
    DEFAULT_SOURCES,
    HashedNgramEncoder,
    NameGenerator,
    load_pool,
    write_mrconso,
)

from entitylink import read_vocabulary  # noqa: E402
from entitylink.index.store import ConceptStore  # noqa: E402
from entitylink.index.vector_file import release_rows  # noqa: E402

logger = logging.getLogger("bench_update")


class TimedEncoding:
    """The ``encode_names`` hook with the stand-in encoder, adding up the seconds it takes."""

    def __init__(self, encoder: HashedNgramEncoder) -> None:
        self.encoder, self.seconds = encoder, 0.0

    def __call__(self, store: ConceptStore, vectors: np.memmap[Any, Any]) -> None:
        started = time.perf_counter()
        for start in range(0, len(vectors), ENCODE_CHUNK):
            names = store.names(start, min(len(vectors), start + ENCODE_CHUNK))
            vectors[start : start + len(names)] = self.encoder.encode(names)
            release_rows(vectors, start, start + len(names))
        self.seconds += time.perf_counter() - started


def timed(stages: Stages, name: str, encoding: TimedEncoding, run: Any) -> dict[str, float]:
    encoding.seconds = 0.0
    with stages.stage(name):
        run()
    figures = dict(stages.figures[name])
    figures["encode_seconds"] = round(encoding.seconds, 3)
    figures["without_encoding"] = round(figures["seconds"] - encoding.seconds, 3)
    return figures


def bench_spec(
    spec: str, concepts: list[Any], pool: list[Any], args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    from entitylink.index.build import build_index
    from entitylink.index.compact import compact_index
    from entitylink.index.update import update_index

    encoder: Any = HashedNgramEncoder(args.dim, args.seed)  # an Encoder's config() and encode()
    encoding, stages = TimedEncoding(encoder), Stages()
    base = work / f"base-{spec.replace(',', '_')}"
    result: dict[str, Any] = {"spec": spec}
    result["build"] = timed(
        stages,
        "build",
        encoding,
        lambda: build_index(
            concepts,
            encoder,
            base,
            spec=spec,
            overwrite=True,
            progress=False,
            encode_names=encoding,
        ),
    )
    for size in args.add:
        target = work / "copy"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(base, target)
        adding = _first_names(pool, size)
        result[f"add-{size}"] = timed(
            stages,
            f"add-{size}",
            encoding,
            lambda target=target, adding=adding: update_index(
                target, adding, encoder=encoder, encode_names=encoding, progress=False
            ),
        )
    target = work / "copy"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(base, target)
    retired = [c.concept_id for c in concepts[: args.retire]]
    result[f"retire-{args.retire}"] = timed(
        stages, "retire", encoding, lambda: update_index(target, remove=retired, progress=False)
    )
    result["compact"] = timed(stages, "compact", encoding, lambda: compact_index(target))
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    return result


def _first_names(concepts: list[Any], names: int) -> list[Any]:
    """The first concepts holding ``names`` names (the one crossing the count is the last)."""
    taken, count = [], 0
    for concept in concepts:
        if count >= names:
            break
        taken.append(concept)
        count += len(concept.names)
    return taken


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| spec | step | seconds | without encoding | % of build (w/o encoding) | peak RSS GB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for result in results:
        build = result["build"]
        for step, figures in result.items():
            if step == "spec":
                continue
            share = 100 * figures["without_encoding"] / max(build["without_encoding"], 1e-9)
            lines.append(
                f"| {result['spec']} | {step} | {figures['seconds']:.2f} | "
                f"{figures['without_encoding']:.2f} | {share:.1f} | {figures['peak_rss_gb']:.2f} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--names", type=int, default=20_000, help="names of the built index")
    parser.add_argument("--add", type=int, nargs="+", default=[1_000], help="names to add")
    parser.add_argument("--retire", type=int, default=1_000, help="concepts to retire")
    parser.add_argument("--spec", nargs="+", default=["Flat"], help="FAISS specs")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sources", nargs="+", type=Path, default=list(DEFAULT_SOURCES))
    parser.add_argument("--work-dir", type=Path, default=Path("indexes/bench-update"))
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    mrconso = work / "MRCONSO.RRF"
    generator = NameGenerator(load_pool(args.sources, seed=args.seed), args.seed)
    write_mrconso(mrconso, generator.groups(args.names + max(args.add)))
    everything = list(read_vocabulary(mrconso))
    concepts = _first_names(everything, args.names)
    pool = everything[len(concepts) :]
    results = [bench_spec(spec, concepts, pool, args, work) for spec in args.spec]
    print(json.dumps(results, indent=2))
    print(markdown(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
