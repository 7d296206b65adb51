from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from entitylink.linking.spacy_detector import SpacyDetector


@dataclass
class Entity:
    start_char: int
    end_char: int
    label_: str


@dataclass
class Doc:
    ents: list[Entity]


class Pipeline:
    """What the detector asks of a spaCy pipeline: ``pipe(texts, batch_size)``."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def pipe(self, texts: Sequence[str], batch_size: int) -> Iterator[Doc]:
        self.batch_sizes.append(batch_size)
        for text in texts:
            words = [(i, w) for i, w in enumerate(text.split()) if w.istitle()]
            offsets = [text.index(w) for _, w in words]
            labels = ["CHEMICAL" if w.endswith("in") else "DISEASE" for _, w in words]
            yield Doc(
                [
                    Entity(at, at + len(w), label)
                    for at, (_, w), label in zip(offsets, words, labels, strict=True)
                ]
            )


def test_entities_are_the_mentions_with_their_labels() -> None:
    nlp = Pipeline()
    texts = ["Asthma and Aspirin", "nothing here"]
    assert SpacyDetector(nlp, batch_size=8).detect_many(texts) == [
        [(0, 6, "DISEASE"), (11, 18, "CHEMICAL")],
        [],
    ]
    assert nlp.batch_sizes == [8]
    only = SpacyDetector(nlp, labels=["CHEMICAL"]).detect_many(texts)
    assert only == [[(11, 18, "CHEMICAL")], []]


def test_importing_the_detector_imports_no_spacy() -> None:
    code = (
        "import sys, entitylink.linking.spacy_detector, entitylink.linking.annotate; "
        "print('spacy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
