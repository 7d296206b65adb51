"""Choose the hybrid weight ``w`` (``dense + w * sparse``) on a benchmark's dev split.

A grid search: every ``w`` of :data:`GRID` is scored (Acc@1, then MRR to break ties, then the
smaller ``w``) on the queries of a train or dev split; the test split is refused, so no test
mention, gold ID or statistic can shape ``w``.

>>> result = tune_weight(linker, prepare("ncbi-disease", split="dev"))   # doctest: +SKIP
>>> result.weight                                                       # doctest: +SKIP
0.4
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from ..encoding.encoder import Encoder
from ..linking.linker import Linker
from ..records import Candidate
from .harness import evaluate
from .protocols import Prepared

logger = logging.getLogger(__name__)

GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
TUNABLE_SPLITS = ("train", "dev")


@dataclass(frozen=True)
class TuneResult:
    """The chosen ``w`` and the score of every ``w`` tried."""

    weight: float
    benchmark: str
    split: str
    protocol: str
    queries: int
    scores: dict[float, dict[str, float]]  # w -> {"acc@1", "acc@5", "mrr"}

    def note(self) -> dict[str, object]:
        """What the manifest records beside ``w``."""
        best = self.scores[self.weight]
        return {
            "benchmark": self.benchmark,
            "split": self.split,
            "protocol": self.protocol,
            "queries": self.queries,
            "acc@1": round(best["acc@1"], 4),
            "grid": sorted(self.scores),
        }


class _Memo:
    """An encoder that answers from vectors computed once (the grid links the same queries)."""

    def __init__(self, encoder: Encoder, texts: Sequence[str]) -> None:
        self.encoder = encoder
        unique = list(dict.fromkeys(texts))
        self.vectors = dict(zip(unique, encoder.encode(unique), strict=True))

    def encode(self, texts: Sequence[str], **_: Any) -> NDArray[np.float32]:
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.encoder.encode(missing), strict=True))
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.encoder, name)


class _Weighted:
    """A linker in hybrid mode with a fixed ``w``, as the harness calls a retriever."""

    def __init__(self, linker: Linker, weight: float) -> None:
        self.linker, self.weight = linker, weight

    def link(
        self, mentions: Sequence[str], k: int = 10, *, collapse: bool = True
    ) -> list[list[Candidate]]:
        return self.linker.link(mentions, k, collapse=collapse, mode="hybrid", weight=self.weight)

    def alt_ids(self, concept_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        return self.linker.alt_ids(concept_ids)


def check_split(prepared: Prepared) -> None:
    """Refuse anything but a train or dev split: tuning must never see the test split."""
    if prepared.split not in TUNABLE_SPLITS:
        raise ValueError(
            f"tuning reads the {' or '.join(TUNABLE_SPLITS)} split only, not {prepared.split!r}: "
            "choosing w on the test split would leak it into the reported figures"
        )


def tune_weight(
    linker: Linker, prepared: Prepared, grid: Sequence[float] = GRID, *, progress: bool = True
) -> TuneResult:
    """Score every ``w`` of ``grid`` on ``prepared`` (a dev or train split) and pick the best."""
    check_split(prepared)
    if not grid:
        raise ValueError("the grid of weights is empty")
    memo = copy.copy(linker)  # the same index, with the queries encoded once for the grid
    texts = [part for query in prepared.queries for part in query.parts]
    memo.encoder = cast(Encoder, _Memo(linker.encoder, texts))
    scores: dict[float, dict[str, float]] = {}
    for weight in tqdm(grid, desc="tuning w", unit=" weights", disable=not progress):
        report, _ = evaluate(
            _Weighted(memo, weight), prepared, system_name=f"w={weight}", progress=False
        )
        metrics = report.metrics
        scores[float(weight)] = {key: metrics[key] for key in ("acc@1", "acc@5", "mrr")}
        logger.info("w=%.2f: Acc@1 %.4f  MRR %.4f", weight, metrics["acc@1"], metrics["mrr"])
    best = max(scores, key=lambda w: (scores[w]["acc@1"], scores[w]["mrr"], -w))
    return TuneResult(
        weight=best,
        benchmark=prepared.benchmark,
        split=prepared.split,
        protocol=prepared.protocol,
        queries=len(prepared.queries),
        scores=scores,
    )
