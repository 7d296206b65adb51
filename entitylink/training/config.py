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


@dataclass(frozen=True)
class BiosynConfig:
    """Hyperparameters of :func:`entitylink.training.biosyn.train_biosyn`; BioSyn's, except
    the temperature (our vectors are L2-normalised) and the epochs (CPU time)."""

    base_model: str = DEFAULT_MODEL
    max_length: int = 25
    topk: int = 20  # candidates per query
    dense_ratio: float = 0.5  # share of the candidates taken from the dense top
    batch_size: int = 16  # queries per step
    epochs: int = 1
    max_minutes: float | None = None
    learning_rate: float = 1e-5
    weight_decay: float = 0.01
    weight_learning_rate: float = 0.01  # of w, the scalar weight of the sparse score
    initial_weight: float = 0.5
    temperature: float = 0.05  # scores are divided by it before the softmax
    encode_batch_size: int = 256  # when the dictionary is encoded again, each epoch
    seed: int = 0
    device: str | None = None
    save_every: int = 50
    log_every: int = 5


@dataclass(frozen=True)
class NerConfig:
    """Hyperparameters of :func:`entitylink.training.ner.train_ner`, the mention detector's."""

    base_model: str = DEFAULT_MODEL
    max_length: int = 256  # tokens per window, the two special tokens included
    overlap: int = 32  # tokens shared by consecutive windows
    batch_size: int = 16  # windows per step
    epochs: int = 4  # the best on dev is kept
    max_minutes: float | None = None
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup: float = 0.06  # share of the steps with a rising learning rate
    seed: int = 0
    device: str | None = None
    threads: int | None = None  # torch threads; None: every available core
    bf16: bool = False  # bfloat16 autocast of the training steps (2.4x faster on a Zen 4 core)
    eval_batch_size: int = 32
    save_every: int = 100
    log_every: int = 10
