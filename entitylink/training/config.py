"""The hyperparameters of :func:`entitylink.training.train.train`, importable without torch."""

from __future__ import annotations

from dataclasses import dataclass

from ..encoding.options import DEFAULT_MODEL


@dataclass(frozen=True)
class TrainingConfig:
    """Hyperparameters; the defaults are SapBERT's, except the batch (SapBERT: 512 on a GPU)."""

    base_model: str = DEFAULT_MODEL
    pooling: str | None = None  # None: what the base model was trained with
    max_length: int = 25
    batch_size: int = 128  # pairs per step; the step encodes twice as many names
    epochs: int = 1
    max_steps: int | None = None
    max_minutes: float | None = None
    learning_rate: float = 2e-5
    weight_decay: float = 0.01
    miner_margin: float = 0.2
    loss_alpha: float = 1.0
    loss_beta: float = 60.0
    loss_base: float = 0.5
    seed: int = 0
    device: str | None = None
    bf16: bool = False
    dropout: bool = True  # False trains in eval mode: no dropout, about 2x faster on a CPU
    save_every: int = 200
    log_every: int = 10
