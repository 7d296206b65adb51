from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from entitylink import ConceptIndex, Encoder, Linker, build_index, link_dataframe, read_vocabulary
from entitylink.cli import main
from tests.paths import SAMPLES

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'entitylink[ray]'")
pytestmark = pytest.mark.ray

TIMING = ("build_seconds", "created_at")


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One local Ray instance with 2 CPUs for the module."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def mentions() -> pd.DataFrame:
    texts = ["heart attack", "asthma", None, "fever", "", "NIDDM", "heart attack", "cough"] * 5
    return pd.DataFrame({"id": range(len(texts)), "mention": texts})


def test_link_dataset_equals_link_dataframe(
    minilm: Encoder, sample_index: ConceptIndex, tmp_path: Path
) -> None:
    from entitylink.tables.ray import link_dataset

    df = mentions()
    ds = ray.data.from_pandas(df).repartition(4)
    linked = link_dataset(ds, sample_index.path, k=3, concurrency=2, batch_size=10, num_cpus=0.5)
    got = linked.to_pandas().sort_values(["id", "rank"], na_position="first")
    expected = link_dataframe(Linker.from_dir(sample_index.path), df, k=3)  # the defaults
    expected = expected.sort_values(["id", "rank"], na_position="first")
    assert got["concept_id"].fillna("-").tolist() == expected["concept_id"].fillna("-").tolist()
    np.testing.assert_allclose(got["score"], expected["score"], atol=1e-5)


def test_cli_link_engine_ray(sample_index: ConceptIndex, tmp_path: Path) -> None:
    source = tmp_path / "x.parquet"
    mentions().to_parquet(source, index=False)
    argv = ["link", "--index", str(sample_index.path), "--input", str(source), "-k", "2", "-q"]
    assert main([*argv, "--output", str(tmp_path / "local.parquet")]) == 0
    ray_argv = ["--engine", "ray", "--actors", "2"]  # default CPUs: one stays free to read
    assert main([*argv, "--output", str(tmp_path / "ray.parquet"), *ray_argv]) == 0
    local, distributed = (pd.read_parquet(tmp_path / f"{n}.parquet") for n in ("local", "ray"))
    assert distributed["id"].tolist() == local["id"].tolist()  # input order kept
    pd.testing.assert_frame_equal(
        distributed.drop(columns="score"), local.drop(columns="score"), check_dtype=False
    )
    np.testing.assert_allclose(distributed["score"], local["score"], atol=1e-5)


def table(path: Path, name: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path / "concepts.sqlite") as connection:
        return connection.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall()


def test_ray_build_equals_single_process_build(
    tiny_encoder: Encoder, tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    from entitylink.tables.ray import ray_encode_names

    hook = ray_encode_names(tiny_encoder.config(), actors=2, shard_size=200, progress=False)
    concepts = read_vocabulary(SAMPLES / "MRCONSO.RRF")
    built = build_index(concepts, tiny_encoder, tmp_path / "ray", progress=False, encode_names=hook)
    n = len(tiny_index.vectors)
    assert len(built.vectors) == n > 400  # more than two shards
    np.testing.assert_allclose(
        built.vectors.index.reconstruct_n(0, n),
        tiny_index.vectors.index.reconstruct_n(0, n),
        atol=1e-5,
    )
    for name in ("concepts", "names"):
        assert table(built.path, name) == table(tiny_index.path, name)
    manifests = [
        {
            k: v
            for k, v in asdict(i.manifest).items()
            if k not in (*TIMING, "checksums", "manifest_checksum")
        }
        for i in (built, tiny_index)
    ]
    assert manifests[0] == manifests[1]
    # the vectors agree to 1e-5, not bit for bit, so only the concept table's checksum matches
    checksums = [i.manifest.checksums["concepts.sqlite"] for i in (built, tiny_index)]
    assert checksums[0] == checksums[1]


def test_cli_build_engine_ray(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["build-index", str(SAMPLES / "vocab.tsv"), "-q", "--engine", "ray", "--actors", "1"]
    assert main([*argv, "--out", str(tmp_path / "ray")]) == 0, capsys.readouterr().err
    assert (
        main(["build-index", str(SAMPLES / "vocab.tsv"), "-q", "--out", str(tmp_path / "one")]) == 0
    )
    ray_index, local = (ConceptIndex.load(tmp_path / n) for n in ("ray", "one"))
    np.testing.assert_allclose(
        ray_index.vectors.index.reconstruct_n(0, len(local.vectors)),
        local.vectors.index.reconstruct_n(0, len(local.vectors)),
        atol=1e-5,
    )
