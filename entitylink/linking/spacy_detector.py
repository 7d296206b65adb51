"""The spaCy detector: the entities (``doc.ents``) of any spaCy pipeline are the mentions.

>>> detector = SpacyDetector.load("en_core_sci_sm")                # doctest: +SKIP
>>> detector.detect_many(["Wilson disease (WD) ..."])              # doctest: +SKIP
[[(0, 14, 'ENTITY'), (16, 18, 'ENTITY')]]

It lives beside :mod:`.spacy_component`, which loads the pipeline (the only module importing
spaCy); importing this one imports no spaCy, so ``SpacyDetector(nlp)`` takes any object with
spaCy's ``pipe``. Its ``detect_many`` is :class:`~entitylink.linking.detectors.Detector`'s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from .detectors import Detected


class SpacyDetector:
    """The entities (``doc.ents``) of a spaCy pipeline are the mentions, labelled.

    ``nlp`` is a loaded ``spacy.Language`` (``spacy.load("en_core_sci_sm")``); see
    :meth:`load` for a name or path. ``labels`` keeps entities of these labels only.
    """

    def __init__(self, nlp: Any, labels: Collection[str] | None = None, batch_size: int = 64):
        self.nlp = nlp
        self.labels = frozenset(labels) if labels is not None else None
        self.batch_size = batch_size

    @classmethod
    def load(cls, name: str, labels: Collection[str] | None = None) -> SpacyDetector:
        """Load a spaCy pipeline by package name or path (needs the ``[spacy]`` extra)."""
        from .spacy_component import load_pipeline

        return cls(load_pipeline(name), labels)

    def detect_many(self, texts: Sequence[str]) -> list[list[Detected]]:
        return [
            [
                (ent.start_char, ent.end_char, ent.label_)
                for ent in doc.ents
                if self.labels is None or ent.label_ in self.labels
            ]
            for doc in self.nlp.pipe(texts, batch_size=self.batch_size)
        ]
