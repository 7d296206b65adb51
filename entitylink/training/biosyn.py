"""BioSyn-style training: synonym marginalisation over hybrid candidates (Sung et al., 2020).

Learned from the dmis-lab/BioSyn design, written for entitylink:

- the queries are a benchmark's **train** mentions (train + dev for a final test figure), read
  through the ``sapbert`` protocol (abbreviations resolved, normalised; composite mentions left
  out); :func:`biosyn_data` refuses the test split;
- the dictionary is that protocol's vocabulary-only dictionary (the names of MEDIC or MeSH:
  no mention of any split is added to it);
- each query gets ``topk`` candidates: the sparse (TF-IDF) top ``topk * (1 - dense_ratio)``
  names, fixed, then the dense top names to fill up, **recomputed at every epoch** with the
  encoder being trained (the whole dictionary is encoded again);
- a candidate scores ``dense + w * sparse`` (``w`` a learned scalar, as in BioSyn, initial
  value :data:`~entitylink.index.sparse.DEFAULT_WEIGHT`), divided by a temperature since our
  vectors are L2-normalised; the loss is minus the log of the summed softmax probability of the
  candidates sharing a gold ID (queries with none are skipped, as BioSyn does).

Writes a model directory like :func:`~entitylink.training.train.train` (loadable as
``Encoder(out)``), with the learned ``w`` in its ``entitylink_encoder.json`` (``training.weight``)
and a checkpoint to resume from (at every ``save_every`` steps and every epoch's end).
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
import torch.nn.functional as F
from numpy.typing import NDArray
from tqdm.auto import tqdm

from ..encoding.encoder import Encoder
from ..errors import TrainingError
from ..evaluation.protocols import concept_ids, prepare
from ..index.sparse import SparseIndex
from ..records import Concept
from .config import BiosynConfig
from .train import CHECKPOINT, LOG_FILE, TrainingResult, _finish, _Log, _save_checkpoint, _start

__all__ = ["BiosynQuery", "biosyn_data", "train_biosyn"]

logger = logging.getLogger(__name__)

TRAINING_SPLITS = ("train", "dev")
WEIGHT_FILE = "hybrid_weight.json"
RESUMABLE = ("max_minutes", "device", "epochs", "save_every", "log_every", "encode_batch_size")


@dataclass(frozen=True, slots=True)
class BiosynQuery:
    """One training mention: its normalised text and gold IDs."""

    text: str
    gold: frozenset[str]


def biosyn_data(
    benchmark: str, splits: Sequence[str] = ("train",)
) -> tuple[list[BiosynQuery], tuple[Concept, ...]]:
    """The distinct training queries of ``splits`` and the vocabulary-only dictionary.

    Only the train and dev splits are read; asking for the test split is a ``ValueError``.
    """
    leaked = [s for s in splits if s not in TRAINING_SPLITS]
    if leaked or not splits:
        raise ValueError(
            f"BioSyn training reads the train and dev splits only, not {leaked or 'nothing'}: "
            "the test split would leak into the figures it is scored on"
        )
    queries: dict[tuple[str, frozenset[str]], BiosynQuery] = {}
    dictionary: tuple[Concept, ...] = ()
    for split in splits:
        prepared = prepare(benchmark, "sapbert", split=split)
        dictionary = prepared.dictionary  # the vocabulary's names only (split is not test)
        for query in prepared.queries:
            if len(query.parts) == 1:
                key = (query.parts[0], query.gold)
                queries.setdefault(key, BiosynQuery(query.parts[0], query.gold))
    return list(queries.values()), dictionary


class _Candidates:
    """The dictionary's names, their IDs and TF-IDF part, and each query's candidates."""

    def __init__(self, queries: Sequence[BiosynQuery], dictionary: Sequence[Concept]) -> None:
        entries = [(n, concept_ids(c)) for c in dictionary for n in c.names]
        self.names = [name for name, _ in entries]
        self.ids = [ids for _, ids in entries]
        self.texts = [q.text for q in queries]
        self.gold = [q.gold for q in queries]
        self.sparse = SparseIndex.build(self.names)
        self.encoded = self.sparse.encode(self.texts)

    def pick(
        self, encoder: Encoder, config: BiosynConfig, vectors: NDArray[np.float32] | None = None
    ) -> NDArray[np.int64]:
        """``topk`` rows per query: the sparse best first, then the dense best not yet taken
        (``vectors``: the names' vectors by this encoder, when already known)."""
        n_sparse = config.topk - int(config.topk * config.dense_ratio)
        _, sparse_rows = self.sparse.search(self.encoded, config.topk)
        names = (
            vectors
            if vectors is not None
            else encoder.encode(self.names, batch_size=config.encode_batch_size, progress=True)
        )
        queries = encoder.encode(self.texts, batch_size=config.encode_batch_size)
        rows = np.full((len(self.texts), config.topk), -1, dtype=np.int64)
        for start in range(0, len(queries), 256):
            scores = queries[start : start + 256] @ names.T
            dense = np.argsort(-scores, axis=1)[:, : config.topk]
            for offset, dense_rows in enumerate(dense):
                i = start + offset
                picked = [r for r in sparse_rows[i][:n_sparse].tolist() if r >= 0]
                for row in dense_rows.tolist() + sparse_rows[i][n_sparse:].tolist():
                    if len(picked) == config.topk:
                        break
                    if row >= 0 and row not in picked:
                        picked.append(row)
                rows[i, : len(picked)] = picked
        return rows


def _fingerprint(queries: Sequence[BiosynQuery], config: BiosynConfig) -> str:
    settings = {k: v for k, v in asdict(config).items() if k not in RESUMABLE}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for query in queries:
        digest.update(f"{query.text}\t{'|'.join(sorted(query.gold))}\n".encode())
    return digest.hexdigest()


def marginal_nll(scores: torch.Tensor, positive: torch.Tensor) -> torch.Tensor:
    """Minus the log of the summed softmax probability of the positive candidates (mean)."""
    log_probs = F.log_softmax(scores, dim=-1)
    masked = log_probs.masked_fill(~positive, -math.inf)
    return -torch.logsumexp(masked, dim=-1).mean()


def train_biosyn(
    queries: Sequence[BiosynQuery],
    dictionary: Sequence[Concept],
    output_dir: str | Path,
    config: BiosynConfig | None = None,
    *,
    data: dict[str, Any] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    initial_vectors: NDArray[np.float32] | None = None,
) -> TrainingResult:
    """Train an encoder and ``w`` on ``queries`` against ``dictionary``; see the module doc.

    ``initial_vectors``: the dictionary names' vectors by the base model (row by row, e.g. from
    its index), which spares encoding the dictionary for the first epoch of a fresh run.
    """
    config = config or BiosynConfig()
    if not queries:
        raise TrainingError("no training queries")
    out = Path(output_dir)
    checkpoint = out / CHECKPOINT
    fingerprint = _fingerprint(queries, config)
    state = _start(out, checkpoint, fingerprint, resume=resume, overwrite=overwrite)
    torch.manual_seed(config.seed)
    source = str(checkpoint) if state else config.base_model
    encoder = Encoder(source, max_length=config.max_length, device=config.device)
    start_weight = config.initial_weight
    if state:
        start_weight = json.loads((checkpoint / WEIGHT_FILE).read_text())["weight"]
    weight = torch.nn.Parameter(torch.tensor(float(start_weight)))
    groups: list[dict[str, Any]] = [
        {"params": list(encoder.model.parameters())},
        {"params": [weight], "lr": config.weight_learning_rate, "weight_decay": 0.0},
    ]
    optimizer = torch.optim.Adam(
        groups,
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    if state:
        optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
    candidates = _Candidates(queries, dictionary)
    per_epoch = math.ceil(len(queries) / config.batch_size)
    total = config.epochs * per_epoch
    step, elapsed = (state["step"], state["seconds"]) if state else (0, 0.0)
    log = _Log(out / LOG_FILE, keep_until=step)
    started = time.monotonic()
    deadline = started + 60 * config.max_minutes if config.max_minutes is not None else math.inf
    stopped = "finished"
    rows: NDArray[np.int64] | None = None
    sparse_scores = np.zeros((0, config.topk), dtype=np.float32)
    logger.info(
        "BioSyn training of %s: %d queries, %d dictionary names, steps %d..%d",
        config.base_model,
        len(queries),
        len(candidates.names),
        step,
        total,
    )

    def save() -> None:
        seconds = elapsed + time.monotonic() - started
        _save_checkpoint(encoder, optimizer, out, step, seconds, fingerprint)
        (checkpoint / WEIGHT_FILE).write_text(json.dumps({"weight": weight.item()}) + "\n")

    with tqdm(total=total, initial=step, desc="biosyn", unit="step", disable=not progress) as bar:
        while step < total:
            if time.monotonic() > deadline:
                stopped = f"time budget of {config.max_minutes} minutes"
                break
            epoch, position = divmod(step, per_epoch)
            if rows is None or position == 0:
                encoder.model.eval()
                known = initial_vectors if step == 0 else None
                rows = candidates.pick(encoder, config, known)  # dense candidates of this epoch
                sparse_scores = candidates.sparse.scores(candidates.encoded, rows)
                encoder.model.train()
            order = np.random.default_rng(config.seed + epoch).permutation(len(queries))
            batch = order[position * config.batch_size : (position + 1) * config.batch_size]
            loss, positives = _step(encoder, weight, candidates, rows, sparse_scores, batch, config)
            if loss is not None:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{loss.item() if loss is not None else 0:.3f}", w=weight.item())
            seconds = elapsed + time.monotonic() - started
            if step % config.log_every == 0 or step == total:
                value = loss.item() if loss is not None else 0.0
                log.write(step, value, positives, step / max(seconds, 1e-9), seconds, len(batch))
            if step % config.save_every == 0 or step % per_epoch == 0:
                save()
    save()
    seconds = elapsed + time.monotonic() - started
    training = {
        "objective": "biosyn",
        "config": asdict(config),
        "queries": len(queries),
        "dictionary_names": len(candidates.names),
        "data": dict(data or {}),
        "steps": step,
        "total_steps": total,
        "seconds": round(seconds, 1),
        "stopped": stopped,
        "weight": round(weight.item(), 4),
    }
    logger.info(
        "BioSyn: %d/%d steps in %.0f s, w=%.3f: %s", step, total, seconds, weight.item(), out
    )
    return _finish(encoder, out, config.base_model, training, log, config.batch_size)


def _step(
    encoder: Encoder,
    weight: torch.nn.Parameter,
    candidates: _Candidates,
    rows: NDArray[np.int64],
    sparse_scores: NDArray[np.float32],
    batch: NDArray[Any],
    config: BiosynConfig,
) -> tuple[torch.Tensor | None, int]:
    """The loss of one batch of queries (None when no query has a gold candidate)."""
    labels = np.array(
        [[r >= 0 and bool(candidates.ids[r] & candidates.gold[i]) for r in rows[i]] for i in batch]
    )
    keep = labels.any(axis=1)
    if not keep.any():
        return None, 0
    batch, labels = batch[keep], labels[keep]
    chosen = rows[batch]
    texts = [candidates.texts[i] for i in batch]
    names = [candidates.names[r] if r >= 0 else "" for r in chosen.ravel().tolist()]
    query_vectors = F.normalize(encoder.embed(texts), dim=-1)
    name_vectors = F.normalize(encoder.embed(names), dim=-1).view(len(batch), config.topk, -1)
    dense = torch.einsum("qd,qkd->qk", query_vectors, name_vectors)
    sparse = torch.from_numpy(sparse_scores[batch])
    scores = (dense + weight * sparse) / config.temperature
    scores = scores.masked_fill(torch.from_numpy(chosen < 0), -1e4)
    return marginal_nll(scores, torch.from_numpy(labels)), int(labels.sum())
