"""One training step's loss and the dev split's scores, for :mod:`.ner`.

:func:`partial_nll` is the loss (the gold tag's probability, summed with that of the types a
corpus does not tag on its ``O`` tokens); :func:`dev_scores` tags documents with the model being
trained through the detector's own :class:`~entitylink.linking.tagger.Tagger` and scores them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..encoding.tokens import pad_arrays
from ..evaluation.documents import Counts
from ..linking.tagger import Tagger
from .ner_data import IGNORED, NER_CORPORA, NerDocument, NerExample

__all__ = ["batch_loss", "dev_scores", "partial_nll", "score_spans"]


def partial_nll(
    logits: torch.Tensor, tags: torch.Tensor, also: torch.Tensor, outside: int
) -> torch.Tensor:
    """Mean over tagged tokens of minus the log of the summed probability of the allowed labels:
    the gold tag, and on an ``O`` token the labels in its example's row of ``also``
    (batch × labels, bool)."""
    allowed = torch.nn.functional.one_hot(tags.clamp(min=0), logits.shape[-1]).bool()
    allowed |= (tags == outside).unsqueeze(-1) & also.unsqueeze(1)
    valid = tags != IGNORED
    picked = torch.logsumexp(logits.masked_fill(~allowed, -math.inf), dim=-1)
    return (torch.logsumexp(logits, dim=-1) - picked)[valid].mean()


def score_spans(
    documents: Sequence[NerDocument], found: Sequence[Sequence[tuple[int, int, str]]]
) -> dict[str, Any]:
    """Exact-span-and-type micro P/R/F1 over all documents, and per corpus; a document is
    scored on the types its corpus tags only (a chemical found in an NCBI-disease abstract is
    neither right nor wrong)."""
    counts: dict[str, list[int]] = {}
    for document, spans in zip(documents, found, strict=True):
        tagged = NER_CORPORA[document.corpus].types
        gold, predicted = set(document.spans), {s for s in spans if s[2] in tagged}
        for key in ("all", document.corpus):
            row = counts.setdefault(key, [0, 0, 0])
            row[0] += len(gold & predicted)
            row[1] += len(predicted - gold)
            row[2] += len(gold - predicted)
    return {key: Counts(*row).as_dict() for key, row in counts.items()}


def batch_loss(
    model: Any, batch: list[NerExample], labels: int, pad: int, device: torch.device
) -> torch.Tensor:
    """:func:`partial_nll` of one batch of windows (``O`` is label 0)."""
    ids, mask = pad_arrays([e.ids for e in batch], pad)
    tags = np.full(ids.shape, IGNORED, dtype=np.int64)
    also = np.zeros((len(batch), labels), dtype=bool)
    for row, example in enumerate(batch):
        tags[row, : len(example.tags)] = example.tags
        also[row, list(example.outside_also)] = True
    logits = model(
        input_ids=torch.from_numpy(ids).to(device),
        attention_mask=torch.from_numpy(mask).to(device),
    ).logits.float()  # the loss in float32 under bfloat16 autocast
    return partial_nll(
        logits, torch.from_numpy(tags).to(device), torch.from_numpy(also).to(device), 0
    )


def dev_scores(
    model: Any, tagger: Tagger, documents: Sequence[NerDocument], device: torch.device
) -> dict[str, Any]:
    """The dev documents tagged by ``model`` (eval mode, no gradients) and scored."""
    model.eval()

    def run(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> NDArray[np.float32]:
        with torch.inference_mode():
            out = model(
                input_ids=torch.from_numpy(ids).to(device),
                attention_mask=torch.from_numpy(mask).to(device),
            )
            return out.logits.float().cpu().numpy()  # type: ignore[no-any-return]

    found = tagger.tag([d.text for d in documents], run)
    return score_spans(documents, found)
