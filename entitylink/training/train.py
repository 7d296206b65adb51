"""SapBERT self-alignment: pull each concept's names together, push the hardest others apart.

One step takes a batch of :class:`~entitylink.training.pairs.Pair` s, encodes both names of
each pair (so every batch holds positives), mines hard triplets in the batch with
pytorch-metric-learning's ``TripletMarginMiner`` and applies its ``MultiSimilarityLoss`` on them,
as the SapBERT code does.

The output directory is a transformers model directory plus ``entitylink_encoder.json``
(pooling, max_length, base model, data hashes, hyperparameters), so ``Encoder(out)`` loads it.
Beside the model: ``train_log.jsonl`` (one line per logged step), ``loss.png``, and
``checkpoint/`` (weights, optimizer and position) from which ``resume=True`` continues.

>>> config = TrainingConfig(max_minutes=60)
>>> result = train(make_pairs(concepts), "models/medic", config)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..encoding.encoder import CONFIG_FILE, Encoder
from ..errors import TrainingError
from ..files import atomic_file, writing
from ..index.swap import describe
from .config import TrainingConfig
from .pairs import Pair

__all__ = ["TrainingConfig", "TrainingResult", "batch_order", "plot_loss", "train"]

logger = logging.getLogger(__name__)

LOG_FILE, CHECKPOINT, STATE_FILE = "train_log.jsonl", "checkpoint", "trainer_state.json"
RESUMABLE = ("max_steps", "max_minutes", "epochs", "device", "save_every", "log_every")


@dataclass(frozen=True)
class TrainingResult:
    """What one call of :func:`train` did."""

    output_dir: Path
    steps: int
    total_steps: int
    pairs_seen: int
    seconds: float
    first_loss: float | None
    last_loss: float | None
    stopped: str


def batch_order(n_pairs: int, batch_size: int, step: int, seed: int) -> np.ndarray[Any, Any]:
    """Pair indices of global ``step``: one seeded permutation per epoch, so resume replays it."""
    per_epoch = math.ceil(n_pairs / batch_size)
    epoch, position = divmod(step, per_epoch)
    permutation = np.random.default_rng(seed + epoch).permutation(n_pairs)
    return permutation[position * batch_size : (position + 1) * batch_size]


def train(
    pairs: Sequence[Pair],
    output_dir: str | Path,
    config: TrainingConfig = TrainingConfig(),
    *,
    data: Mapping[str, Any] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> TrainingResult:
    """Train an encoder on ``pairs`` and write it to ``output_dir``; ``data`` goes to its config.

    ``resume`` continues from ``output_dir/checkpoint`` (same pairs and config required);
    without it an existing model directory is refused unless ``overwrite``.
    """
    from pytorch_metric_learning import losses, miners

    if not pairs:
        raise TrainingError("no training pairs: the vocabularies gave no concept with two names")
    out = Path(output_dir)
    checkpoint = out / CHECKPOINT
    fingerprint = _fingerprint(pairs, config)
    state = _start(out, checkpoint, fingerprint, resume=resume, overwrite=overwrite)
    torch.manual_seed(config.seed)
    source = str(checkpoint) if state else config.base_model
    encoder = Encoder(
        source, pooling=config.pooling, max_length=config.max_length, device=config.device
    )
    labels = {label: i for i, label in enumerate(dict.fromkeys(p.label for p in pairs))}
    optimizer = torch.optim.AdamW(
        encoder.model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    if state:
        optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
        torch.set_rng_state(torch.load(checkpoint / "rng.pt", weights_only=True))
    miner = miners.TripletMarginMiner(margin=config.miner_margin, type_of_triplets="all")
    loss_fn = losses.MultiSimilarityLoss(
        alpha=config.loss_alpha, beta=config.loss_beta, base=config.loss_base
    )
    per_epoch = math.ceil(len(pairs) / config.batch_size)
    total = config.max_steps or config.epochs * per_epoch
    step, elapsed = (state["step"], state["seconds"]) if state else (0, 0.0)
    first_step = step
    log = _Log(out / LOG_FILE, keep_until=step)
    started = time.monotonic()
    deadline = started + 60 * config.max_minutes if config.max_minutes is not None else math.inf
    stopped = "finished"
    encoder.model.train(config.dropout)
    autocast = torch.autocast(encoder.device.type, dtype=torch.bfloat16, enabled=config.bf16)
    logger.info(
        "training %s on %d pairs (%d concepts): steps %d..%d of %d, batch %d pairs",
        config.base_model,
        len(pairs),
        len(labels),
        step,
        total,
        total,
        config.batch_size,
    )
    with tqdm(total=total, initial=step, desc="training", unit="step", disable=not progress) as bar:
        while step < total:
            if time.monotonic() > deadline:
                stopped = f"time budget of {config.max_minutes} minutes"
                break
            batch = [
                pairs[i] for i in batch_order(len(pairs), config.batch_size, step, config.seed)
            ]
            texts = [p.first for p in batch] + [p.second for p in batch]
            targets = torch.tensor([labels[p.label] for p in batch] * 2, device=encoder.device)
            with autocast:
                vectors = encoder.embed(texts)
            vectors = vectors.float()
            hard = miner(vectors, targets)
            loss = loss_fn(vectors, targets, hard)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            seconds = elapsed + time.monotonic() - started
            pairs_per_s = (step - first_step) * config.batch_size / (time.monotonic() - started)
            bar.set_postfix(loss=f"{loss.item():.3f}", pairs_s=f"{pairs_per_s:.0f}")
            bar.update()
            if step % config.log_every == 0 or step == total:
                log.write(step, loss.item(), len(hard[0]), pairs_per_s, seconds, len(batch))
            if step % config.save_every == 0 and step < total:
                _save_checkpoint(encoder, optimizer, out, step, seconds, fingerprint)
    seconds = elapsed + time.monotonic() - started
    _save_checkpoint(encoder, optimizer, out, step, seconds, fingerprint)  # to resume or extend
    training = {
        "config": asdict(config),
        "pairs": len(pairs),
        "concepts": len(labels),
        "data": dict(data or {}),
        "steps": step,
        "total_steps": total,
        "seconds": round(seconds, 1),
        "stopped": stopped,
    }
    logger.info("trained %d/%d steps in %.0f s (%s): %s", step, total, seconds, stopped, out)
    return _finish(encoder, out, config.base_model, training, log, config.batch_size)


def _finish(
    encoder: Encoder,
    out: Path,
    base_model: str,
    training: dict[str, Any],
    log: _Log,
    batch_size: int,
) -> TrainingResult:
    """Write the trained model directory (atomically) and its loss plot; the run's result.
    ``training`` holds ``steps``, ``total_steps``, ``seconds`` and ``stopped``."""
    note = f"; the last checkpoint is in {out / CHECKPOINT} (--resume)"
    with writing(out, note=note):
        encoder.save(out, base_model=base_model, training=training)
    losses = log.losses()
    if losses:
        plot_loss(out / LOG_FILE, out / "loss.png")
    step = training["steps"]
    return TrainingResult(
        out,
        step,
        training["total_steps"],
        step * batch_size,
        training["seconds"],
        losses[0] if losses else None,
        losses[-1] if losses else None,
        training["stopped"],
    )


def _fingerprint(pairs: Sequence[Pair], config: TrainingConfig) -> str:
    settings = {k: v for k, v in asdict(config).items() if k not in RESUMABLE}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for pair in pairs:
        digest.update(f"{pair.first}\t{pair.second}\t{pair.label}\n".encode())
    return digest.hexdigest()


def _start(
    out: Path, checkpoint: Path, fingerprint: str, *, resume: bool, overwrite: bool
) -> dict[str, Any] | None:
    """The checkpoint's state when resuming, else None after making ``out`` ready."""
    if resume:
        if not (checkpoint / STATE_FILE).exists():
            logger.info("no checkpoint in %s: starting from the base model", out)
            return None
        state: dict[str, Any] = json.loads((checkpoint / STATE_FILE).read_text())
        # the length of training (RESUMABLE) may change between runs; the rest must not
        if state["fingerprint"] != fingerprint:
            raise TrainingError(
                f"{checkpoint} was written for other training pairs or settings; "
                "resume with the same vocabularies and options, or start again with --overwrite"
            )
        logger.info("resuming %s at step %d", out, state["step"])
        return state
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not _is_training_output(out):
            raise TrainingError(
                f"{out} is {describe(out)} and not a model written by entitylink train; "
                "--overwrite replaces only those: choose another --out"
            )
        if not overwrite:
            raise TrainingError(
                f"{out} is not empty; pass --resume to continue its training or --overwrite"
            )
        shutil.rmtree(out)
    with writing(out):
        out.mkdir(parents=True, exist_ok=True)
    return None


def _is_training_output(out: Path) -> bool:
    """A directory that ``train`` wrote: its checkpoint, log or encoder settings are there."""
    marks = (CHECKPOINT, LOG_FILE, CONFIG_FILE)
    return out.is_dir() and not out.is_symlink() and any((out / m).exists() for m in marks)


def _save_checkpoint(
    encoder: Encoder,
    optimizer: torch.optim.Optimizer,
    out: Path,
    step: int,
    seconds: float,
    fingerprint: str,
) -> None:
    """Write the checkpoint beside the old one, then swap: a crash leaves one whole checkpoint,
    and a failed write (a full disk) removes the new one and keeps the old."""
    with writing(out / CHECKPOINT, note="; the previous checkpoint was kept"):
        temporary = Path(tempfile.mkdtemp(prefix=".checkpoint-", dir=out))
        try:
            encoder.save(temporary)
            # through file objects: a full disk is then an OSError, not torch's RuntimeError
            with (temporary / "optimizer.pt").open("wb") as handle:
                torch.save(optimizer.state_dict(), handle)
            with (temporary / "rng.pt").open("wb") as handle:
                torch.save(torch.get_rng_state(), handle)
            state = {"step": step, "seconds": seconds, "fingerprint": fingerprint}
            (temporary / STATE_FILE).write_text(json.dumps(state) + "\n")
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    replace_checkpoint(temporary, out)
    logger.debug("checkpoint at step %d", step)


class _Log:
    """``train_log.jsonl``, cut back to the checkpoint's step when resuming."""

    def __init__(self, path: Path, keep_until: int) -> None:
        self.path = path
        rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        kept = [row for row in rows if row["step"] <= keep_until]
        with atomic_file(path) as tmp:  # a full disk here must not cut the log short
            tmp.write_text("".join(json.dumps(row) + "\n" for row in kept))
        self._losses = [row["loss"] for row in kept]

    def write(
        self, step: int, loss: float, triplets: int, pairs_per_s: float, seconds: float, size: int
    ) -> None:
        row = {
            "step": step,
            "loss": round(loss, 5),
            "triplets": triplets,
            "pairs_per_s": round(pairs_per_s, 1),
            "seconds": round(seconds, 1),
            "batch_pairs": size,
        }
        with writing(self.path), self.path.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        self._losses.append(row["loss"])

    def losses(self) -> list[float]:
        return list(self._losses)


def plot_loss(log_file: str | Path, path: str | Path, window: int = 20) -> None:
    """The loss of each logged step (faint) and its moving average, against training steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in Path(log_file).read_text().splitlines()]
    steps, values = [r["step"] for r in rows], np.array([r["loss"] for r in rows])
    smooth = (
        np.convolve(values, np.ones(window) / window, mode="valid")
        if len(values) > window
        else values
    )
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(steps, values, alpha=0.3, label="loss")
    axis.plot(
        steps[len(steps) - len(smooth) :], smooth, label=f"mean of {min(window, len(values))}"
    )
    axis.set_xlabel("step")
    axis.set_ylabel("multi-similarity loss")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def replace_checkpoint(temporary: Path, out: Path) -> None:
    """Put the complete checkpoint directory ``temporary`` at ``out/checkpoint``: the old one
    is moved aside first and removed last, so a crash leaves one whole checkpoint."""
    old = out / CHECKPOINT
    if old.exists():
        old.rename(out / ".checkpoint-old")
    temporary.rename(old)
    shutil.rmtree(out / ".checkpoint-old", ignore_errors=True)
