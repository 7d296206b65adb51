"""The thread policy: one thread for small inputs, each worker its share of the cores."""

from __future__ import annotations

import pytest
import torch

from entitylink import Encoder
from entitylink.encoding import threads
from entitylink.encoding.threads import (
    ENV_THREADS,
    SMALL_INPUT,
    claim_share,
    threads_for,
    worker_threads,
)


def test_share_of_the_cores() -> None:
    assert worker_threads(1, cores=8) == 8
    assert worker_threads(3, cores=8) == 2
    assert worker_threads(4, cores=2) == 1  # never 0
    with pytest.raises(ValueError):
        worker_threads(0)


def test_small_inputs_one_thread_large_ones_the_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_THREADS, "0")  # restored (removed) after the test
    monkeypatch.delenv(ENV_THREADS)
    assert threads_for(1, None, cores=8) == 1
    assert threads_for(SMALL_INPUT + 1, None, cores=8) == 8
    monkeypatch.setenv(ENV_THREADS, "3")
    assert threads_for(1000, None, cores=8) == 3
    assert threads_for(1, 4, cores=8) == 4  # an explicit count wins
    with pytest.raises(ValueError):
        threads_for(1, 0)


def test_claim_share_sets_the_process_share(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_THREADS, "0")  # restored (removed) after the test
    monkeypatch.delenv(ENV_THREADS)
    monkeypatch.setattr(threads, "available_cores", lambda: 6)
    assert claim_share(3) == 2
    assert threads_for(1000, None) == 2


def test_encoder_applies_the_policy_to_torch(
    tiny_model_dir: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = torch.get_num_threads()
    monkeypatch.setenv(ENV_THREADS, "2")
    encoder = Encoder(str(tiny_model_dir), pooling="cls", device="cpu")
    try:
        encoder.encode(["heart attack"])
        assert torch.get_num_threads() == 1
        encoder.encode(["heart attack"] * (SMALL_INPUT + 1))
        assert torch.get_num_threads() == 2
        Encoder(str(tiny_model_dir), pooling="cls", device="cpu", threads=3).encode(["fever"])
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)
