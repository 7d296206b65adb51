"""Baselines that need no model, with the linker's interface: exact match and char-n-gram TF-IDF.

>>> concepts = [Concept("D1", "Asthma", ("bronchial asthma",))]
>>> ExactMatch(concepts).link(["ASTHMA"], k=1)[0][0].concept_id
'D1'
>>> TfidfLinker(concepts).link(["asthmatic"], k=1)[0][0].matched_name
'Asthma'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..index.sparse import SETTINGS, SparseIndex
from ..records import Candidate, Concept
from .preprocess import normalize_text

QUERY_CHUNK = 64


class _Dictionary:
    """The names of a concept list, row by row, as the vector index holds them."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts = {c.concept_id: c for c in concepts}
        self.rows = [(c.concept_id, n) for c in self.concepts.values() for n in c.names]

    def alt_ids(self, concept_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Same as :meth:`entitylink.index.store.ConceptStore.alt_ids`."""
        return {i: self.concepts[i].alt_ids for i in concept_ids if self.concepts[i].alt_ids}

    def _candidate(self, row: int, score: float) -> Candidate:
        concept_id, name = self.rows[row]
        concept = self.concepts[concept_id]
        return Candidate(concept_id, concept.name, name, score, concept.types)

    def _ranked(
        self, rows: Sequence[int], scores: Sequence[float], k: int, collapse: bool
    ) -> list[Candidate]:
        found: dict[str | int, Candidate] = {}
        for row, score in zip(rows, scores, strict=True):
            key = self.rows[row][0] if collapse else row
            if key not in found:
                found[key] = self._candidate(row, float(score))
            if len(found) == k:
                break
        return list(found.values())


class ExactMatch(_Dictionary):
    """Names equal to the mention after lower-casing and punctuation removal (score 1)."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        super().__init__(concepts)
        self.index: dict[str, list[int]] = {}
        for row, (_, name) in enumerate(self.rows):
            self.index.setdefault(normalize_text(name), []).append(row)

    def link(
        self, mentions: Sequence[str], k: int = 10, *, collapse: bool = True
    ) -> list[list[Candidate]]:
        """Exact matches of each mention, in dictionary order."""
        results = []
        for mention in mentions:
            rows = self.index.get(normalize_text(mention), []) if mention.strip() else []
            results.append(self._ranked(rows, [1.0] * len(rows), k, collapse))
        return results


class TfidfLinker(_Dictionary):
    """Cosine similarity of character 3-gram TF-IDF vectors, as scispacy's candidate generator
    (the vectors of an index's sparse part, :mod:`entitylink.index.sparse`)."""

    def __init__(self, concepts: Iterable[Concept], ngram_range: tuple[int, int] = (3, 3)) -> None:
        super().__init__(concepts)
        names = [name for _, name in self.rows]
        sparse = SparseIndex.build(names, {**SETTINGS, "ngram_range": ngram_range})
        self.vectorizer = sparse.vectorizer  # the settings of an index's sparse part
        self.matrix = sparse.matrix.T.tocsr()

    def link(
        self, mentions: Sequence[str], k: int = 10, *, collapse: bool = True
    ) -> list[list[Candidate]]:
        """The names with the most similar character n-grams, best first."""
        results: list[list[Candidate]] = []
        fetch = min(len(self.rows), k * 8)
        for start in range(0, len(mentions), QUERY_CHUNK):
            chunk = mentions[start : start + QUERY_CHUNK]
            scores = (self.vectorizer.transform(chunk) @ self.matrix).toarray()
            top = np.argpartition(-scores, fetch - 1, axis=1)[:, :fetch]
            for mention, row_scores, rows in zip(chunk, scores, top, strict=True):
                rows = rows[np.argsort(-row_scores[rows], kind="stable")]
                rows = rows[row_scores[rows] > 0] if mention.strip() else rows[:0]
                results.append(self._ranked(rows.tolist(), row_scores[rows].tolist(), k, collapse))
        return results
