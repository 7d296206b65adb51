"""Training the mention detector: a BIO token classifier fine-tuned on the corpora's train splits.

>>> config = NerConfig(epochs=4)
>>> result = train_ner(["ncbi-disease", "bc5cdr"], "models/ner", config)  # doctest: +SKIP

transformers' ``AutoModelForTokenClassification`` on ``config.base_model`` (the offline MiniLM
by default, any BERT-family checkpoint or local directory), labels ``O`` and ``B-``/``I-`` of
each entity type the corpora tag. Documents are cut into overlapping token windows
(:mod:`entitylink.linking.token_windows`, shared with the detector), tags are
:mod:`entitylink.linking.bio`'s. The loss is the cross-entropy of the right tag, except that
where a corpus does not tag a type, its ``O`` tokens may be that type's too
(:mod:`.ner_data`: the probabilities of ``O`` and those labels are summed).

After each epoch the dev split is tagged and scored (exact span and type: micro P/R/F1, and
per corpus); the epoch with the best dev F1 is the one written to ``output_dir``, a
transformers model directory plus ``entitylink_ner.json`` (labels, window, data, dev scores),
which ``annotate --detector model:DIR`` loads. ``checkpoint/`` (weights, optimizer, schedule,
position, dev history) is written every ``save_every`` steps and at each epoch's end;
``resume=True`` continues from it. The test split is never read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ..encoding.models import resolve_model
from ..encoding.threads import available_cores
from ..errors import TrainingError
from ..files import writing
from ..linking.bio import BioScheme, bio_labels
from ..linking.model_detector import NER_CONFIG_FILE
from ..linking.tagger import Tagger
from .config import NerConfig
from .ner_data import NER_CORPORA, NerDocument, data_hash, ner_documents
from .ner_data import ner_examples as make_examples
from .ner_files import cut_log, save_checkpoint, save_model
from .ner_steps import batch_loss, dev_scores
from .train import CHECKPOINT, LOG_FILE, _start

__all__ = ["NerResult", "train_ner", "train_ner_on"]

logger = logging.getLogger(__name__)

# may change between a run and its resumption (more epochs: the schedule is stretched from there)
RESUMABLE = (
    "epochs",
    "max_minutes",
    "device",
    "threads",
    "eval_batch_size",
    "save_every",
    "log_every",
)


@dataclass(frozen=True)
class NerResult:
    """What one call of :func:`train_ner` did; ``dev`` holds each finished epoch's scores."""

    output_dir: Path
    steps: int
    total_steps: int
    seconds: float
    best_epoch: int | None
    dev: tuple[dict[str, Any], ...]
    stopped: str


def _fingerprint(train: Sequence[NerDocument], labels: list[str], config: NerConfig) -> str:
    settings = {k: v for k, v in asdict(config).items() if k not in RESUMABLE}
    text = json.dumps([settings, labels, data_hash(train)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def train_ner_on(
    corpora: Sequence[str],
    output_dir: str | Path,
    config: NerConfig | None = None,
    **options: Any,
) -> NerResult:
    """:func:`train_ner` on the train splits of ``corpora`` (:data:`NER_CORPORA`), the epoch
    chosen on their dev splits (:func:`~.ner_data.ner_documents`: never the test split)."""
    corpora = list(dict.fromkeys(corpora))
    train = ner_documents(corpora, "train")
    return train_ner(train, ner_documents(corpora, "dev"), output_dir, config, **options)


def train_ner(
    train_docs: Sequence[NerDocument],
    dev_docs: Sequence[NerDocument],
    output_dir: str | Path,
    config: NerConfig | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> NerResult:
    """Train a mention detector on ``train_docs`` and write the epoch best on ``dev_docs`` to
    ``output_dir``; the labels are those of the documents' corpora's types (see the module's
    docstring)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from transformers.optimization import get_linear_schedule_with_warmup
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # loading and saving bars: ours is enough
    config = config or NerConfig()
    corpora = list(dict.fromkeys(d.corpus for d in train_docs))
    labels = bio_labels([t for c in corpora for t in NER_CORPORA[c].types])
    scheme = BioScheme.from_labels(labels)
    out = Path(output_dir)
    checkpoint = out / CHECKPOINT
    fingerprint = _fingerprint(train_docs, labels, config)
    state = _start(out, checkpoint, fingerprint, resume=resume, overwrite=overwrite)
    with writing(out):
        out.mkdir(parents=True, exist_ok=True)  # --resume of a run that never saved
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads or available_cores())
    source = str(checkpoint) if state else resolve_model(config.base_model)
    ids = {label: i for i, label in enumerate(labels)}
    tokenizer = AutoTokenizer.from_pretrained(source)
    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()  # a new head's "MISSING" weights are expected
    try:
        model = AutoModelForTokenClassification.from_pretrained(
            source, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=ids
        )
    finally:
        transformers_logging.set_verbosity(verbosity)
    device = torch.device(config.device or "cpu")
    model.to(device)
    tagger = Tagger(
        tokenizer.backend_tokenizer,
        scheme,
        size=config.max_length - 2,
        overlap=config.overlap,
        batch_size=config.eval_batch_size,
    )
    examples = make_examples(
        train_docs,
        tagger.tokenizer,
        scheme,
        tagger.special,
        size=config.max_length - 2,
        overlap=config.overlap,
    )
    if not examples:
        raise TrainingError("no training windows: the corpora gave no text")
    per_epoch = math.ceil(len(examples) / config.batch_size)
    total = config.epochs * per_epoch
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup * total), total)
    if state:
        optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
        schedule.load_state_dict(torch.load(checkpoint / "schedule.pt", weights_only=True))
    step, elapsed = (state["step"], state["seconds"]) if state else (0, 0.0)
    history: list[dict[str, Any]] = list(state["dev"]) if state else []
    started = time.monotonic()
    deadline = started + 60 * config.max_minutes if config.max_minutes is not None else math.inf
    stopped = "finished"
    data = {
        "corpora": corpora,
        "splits": {"train": len(train_docs), "dev": len(dev_docs)},
        "train_windows": len(examples),
        "train_sha256": data_hash(train_docs),
        "dev_sha256": data_hash(dev_docs),
    }
    settings: dict[str, Any] = {
        "labels": labels,
        "max_length": config.max_length,
        "overlap": config.overlap,
        "base_model": config.base_model,
        "data": data,
        "config": asdict(config),
    }
    logger.info(
        "NER training of %s on %s: %d windows, %d steps per epoch, steps %d..%d, labels %s",
        config.base_model,
        "+".join(corpora),
        len(examples),
        per_epoch,
        step,
        total,
        " ".join(labels),
    )

    def save() -> None:
        seconds = elapsed + time.monotonic() - started
        position = {"step": step, "seconds": seconds, "fingerprint": fingerprint, "dev": history}
        save_checkpoint(model, tokenizer, optimizer, schedule, out, position)

    log_path = out / LOG_FILE
    cut_log(log_path, step)
    model.train()
    with tqdm(total=total, initial=step, desc="ner", unit="step", disable=not progress) as bar:
        while step < total:
            if time.monotonic() > deadline:
                stopped = f"time budget of {config.max_minutes} minutes"
                break
            epoch, position = divmod(step, per_epoch)
            order = np.random.default_rng(config.seed + epoch).permutation(len(examples))
            chosen = order[position * config.batch_size : (position + 1) * config.batch_size]
            batch = [examples[i] for i in chosen]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16):
                loss = batch_loss(model, batch, len(labels), tagger.special.pad, device)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.4f}")
            if step % config.log_every == 0 or step == total:
                seconds = elapsed + time.monotonic() - started
                row = {"step": step, "loss": round(loss.item(), 5), "seconds": round(seconds, 1)}
                with writing(log_path), log_path.open("a") as handle:
                    handle.write(json.dumps(row) + "\n")
            if step % per_epoch == 0:
                scores = dev_scores(model, tagger, dev_docs, device)
                earlier = max((h["all"]["f1"] for h in history), default=-1.0)
                history.append({"epoch": epoch + 1, "step": step, **scores})
                logger.info("epoch %d: dev span F1 %.4f %s", epoch + 1, scores["all"]["f1"], scores)
                if scores["all"]["f1"] > earlier:  # the first epoch of the best F1 is kept
                    save_model(model, tokenizer, out, {**settings, "epoch": epoch + 1})
                model.train()
                save()
            elif step % config.save_every == 0:
                save()
    save()
    seconds = elapsed + time.monotonic() - started
    best = max(history, key=lambda h: (h["all"]["f1"], -h["epoch"])) if history else None
    if best is not None:
        training = {"steps": step, "total_steps": total, "seconds": round(seconds, 1)}
        final = {**settings, "epoch": best["epoch"], "dev": history, "training": training}
        with writing(out / NER_CONFIG_FILE):
            (out / NER_CONFIG_FILE).write_text(json.dumps(final, indent=2, default=str) + "\n")
    logger.info("NER: %d/%d steps in %.0f s (%s): %s", step, total, seconds, stopped, out)
    return NerResult(
        out, step, total, seconds, best["epoch"] if best else None, tuple(history), stopped
    )
