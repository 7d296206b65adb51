"""Ray actors and Spark Python workers take their share of the cores (no oversubscription)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import torch

from entitylink import ConceptIndex, LoadOptions
from entitylink.encoding import threads
from entitylink.encoding.threads import ENV_THREADS, SMALL_INPUT


@pytest.fixture
def six_cores(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(ENV_THREADS, "0")  # restored (removed) after the test
    monkeypatch.delenv(ENV_THREADS)
    monkeypatch.setattr(threads, "available_cores", lambda: 6)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_ray_actors_take_their_share(six_cores: None, tiny_index: ConceptIndex) -> None:
    from entitylink.tables.ray import EncoderActor, LinkerActor

    load = LoadOptions(backend="torch", device="cpu")  # torch's thread count is what is seen
    actor = LinkerActor(str(tiny_index.path), "mention", 3, {}, processes=3, load=load)
    assert actor.threads == 2
    mentions = pd.DataFrame({"mention": [f"fever {i}" for i in range(SMALL_INPUT + 1)]})
    actor(mentions)
    assert torch.get_num_threads() == 2  # what the actor's encoder ran on
    encoder = EncoderActor(tiny_index.manifest.encoder, "cpu", processes=6)
    assert encoder.threads == 1
    encoder.encode(0, ["fever"] * 50, 16)
    assert torch.get_num_threads() == 1


def test_spark_workers_take_their_share(six_cores: None, tiny_index: ConceptIndex) -> None:
    from entitylink.tables import spark

    batch = pd.DataFrame({"mention": [f"cough {i}" for i in range(SMALL_INPUT + 1)]})
    spark._LINKERS.pop(str(tiny_index.path), None)
    load = LoadOptions(backend="torch")  # torch's thread count is what is seen
    out = list(
        spark._link_partition(iter([batch]), str(tiny_index.path), "mention", 2, {}, 2, load)
    )
    assert len(out) == 1 and threads.process_threads() == 3
    assert torch.get_num_threads() == 3
    spark._LINKERS.pop(str(tiny_index.path), None)


class _Conf:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, key: str, default: str) -> str:
        return self.values.get(key, default)


class _Session:
    def __init__(self, values: dict[str, str], parallelism: int) -> None:
        context = type("Context", (), {})()
        context.getConf = lambda: _Conf(values)  # type: ignore[attr-defined]
        context.defaultParallelism = parallelism  # type: ignore[attr-defined]
        self.sparkContext = context


def test_spark_python_workers_per_machine() -> None:
    from entitylink.tables.spark import python_workers

    assert python_workers(_Session({}, 2)) == 2  # local[2]
    assert python_workers(_Session({"spark.executor.cores": "8", "spark.task.cpus": "2"}, 64)) == 4
