"""End-to-end scores: detection + linking against a corpus's gold PubTator annotations.

Two levels, as in BC5CDR's disease task (DNER):

* **mention**: a predicted span counts when its offsets equal a gold mention's and its rank-1
  concept is one of the gold IDs (MEDIC's alt IDs count); gold mentions without an ID (``-1``)
  are left out, and so are predictions on their spans;
* **document**: the set of concept IDs of each document against the gold set, summed over
  documents (micro precision, recall and F1).

>>> gold = {"d1": [(0, 5, ("D1",)), (10, 12, ("D2",))]}
>>> predicted = {"d1": [(0, 5, frozenset({"D1"})), (20, 22, frozenset({"D3"}))]}
>>> score(predicted, gold).mention
Counts(tp=1, fp=1, fn=1)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..linking.documents import Document
from .benchmarks import Benchmark, id_set

GoldSpan = tuple[int, int, tuple[str, ...]]  # start, end, normalised gold IDs
Predicted = tuple[int, int, frozenset[str]]  # start, end, every ID of the rank-1 concept


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives, with P/R/F1 from them."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True, slots=True)
class Scores:
    """Mention-level and document-level counts of one system on one split."""

    mention: Counts
    document: Counts


def gold_spans(benchmark: Benchmark) -> dict[str, list[GoldSpan]]:
    """The gold mentions of each document (every document of the split, even without any)."""
    gold: dict[str, list[GoldSpan]] = {doc: [] for doc in benchmark.documents}
    for m in benchmark.mentions:
        if m.doc_id is not None and m.start is not None and m.end is not None:
            gold.setdefault(m.doc_id, []).append((m.start, m.end, m.gold))
    return gold


def predictions(
    documents: Iterable[Document],
    alt_ids: Mapping[str, tuple[str, ...]],
    threshold: float | None = None,
) -> dict[str, list[Predicted]]:
    """The rank-1 concept of each span scoring at least ``threshold``, with all its IDs."""
    found: dict[str, list[Predicted]] = {}
    for document in documents:
        spans = found.setdefault(document.id or "", [])
        for span in document.spans:
            if not span.candidates:
                continue
            best = span.candidates[0]
            if threshold is None or best.score >= threshold:
                ids = id_set(best.concept_id, alt_ids.get(best.concept_id, ()))
                spans.append((span.start, span.end, ids))
    return found


def score(
    predicted: Mapping[str, Sequence[Predicted]], gold: Mapping[str, Sequence[GoldSpan]]
) -> Scores:
    """Count mention-level and document-level hits (see the module's docstring)."""
    mention = [0, 0, 0]
    document = [0, 0, 0]
    for doc in set(gold) | set(predicted):
        golds = [g for g in gold.get(doc, ()) if g[2] and g[2] != ("-1",)]
        unlinked = {(s, e) for s, e, ids in gold.get(doc, ()) if not ids or ids == ("-1",)}
        by_span: dict[tuple[int, int], set[str]] = defaultdict(set)
        for start, end, ids in golds:
            by_span[(start, end)].update(ids)
        matched: set[tuple[int, int]] = set()
        for start, end, found in predicted.get(doc, ()):
            if (start, end) in unlinked and (start, end) not in by_span:
                continue
            if (start, end) not in matched and found & by_span.get((start, end), set()):
                matched.add((start, end))
                mention[0] += 1
            else:
                mention[1] += 1
        mention[2] += len(by_span) - len(matched)
        gold_ids = {i for _, _, ids in golds for i in ids}
        predicted_ids = set()
        for _, _, found in predicted.get(doc, ()):  # a concept counts once, under its gold ID
            hit = sorted(found & gold_ids)
            predicted_ids.add(hit[0] if hit else min(found))
        document[0] += len(predicted_ids & gold_ids)
        document[1] += len(predicted_ids - gold_ids)
        document[2] += len(gold_ids - predicted_ids)
    return Scores(Counts(*mention), Counts(*document))


def span_counts(
    found: Mapping[str, Sequence[tuple[int, int]]], gold: Mapping[str, Sequence[GoldSpan]]
) -> Counts:
    """Detection alone: predicted spans against every gold span (with or without an ID),
    exact offsets, whatever concept is linked.

    >>> span_counts({"d1": [(0, 5), (7, 9)]}, {"d1": [(0, 5, ("D1",)), (10, 12, ("-1",))]})
    Counts(tp=1, fp=1, fn=1)
    """
    tp = fp = fn = 0
    for doc in set(gold) | set(found):
        expected = {(s, e) for s, e, _ in gold.get(doc, ())}
        predicted = set(found.get(doc, ()))
        tp, fp, fn = (
            tp + len(predicted & expected),
            fp + len(predicted - expected),
            fn + len(expected - predicted),
        )
    return Counts(tp, fp, fn)


def choose_threshold(
    documents: Sequence[Document],
    gold: Mapping[str, Sequence[GoldSpan]],
    alt_ids: Mapping[str, tuple[str, ...]],
) -> tuple[float, Scores]:
    """The threshold on the rank-1 score that maximises mention-level F1 (ties: the lowest),
    searched over the scores seen (at most ~400 of them); pass the **dev** split's documents,
    never the test's."""
    seen = sorted(
        {round(s.candidates[0].score, 4) for d in documents for s in d.spans if s.candidates}
    )
    best: tuple[float, float, Scores] | None = None
    step = max(1, len(seen) // 400)  # at most ~400 thresholds, evenly over the seen scores
    for threshold in [float("-inf"), *seen[::step]]:
        scores = score(predictions(documents, alt_ids, threshold), gold)
        if best is None or scores.mention.f1 > best[1]:
            best = (threshold, scores.mention.f1, scores)
    assert best is not None
    return (best[0] if best[0] != float("-inf") else 0.0), best[2]
