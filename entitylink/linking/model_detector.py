"""The trained mention detector: a token-classification checkpoint run by ONNX Runtime.

>>> detector = ModelDetector("models/ner")                                   # doctest: +SKIP
>>> detector.detect_many(["Tamoxifen-induced hepatitis."])                   # doctest: +SKIP
[[(0, 9, 'Chemical'), (18, 27, 'Disease')]]

Any transformers token-classification directory with BIO labels in its ``config.json``
(``id2label``) works: the one ``entitylink train-ner`` writes, or a published biomedical NER
model downloaded where the hub is reachable. Labels name entity types as
:func:`~entitylink.linking.bio.entity_type` reads them (``B-Disease``, ``DISEASE``,
``SpecificDisease`` → ``Disease``; ``Chemical``, ``CHEM``, ``Drug`` → ``Chemical``), and the
spans carry those types as their labels. The checkpoint is exported to ONNX once, with its
logits, into the encoder's cache (:mod:`entitylink.encoding.onnx`), and quantised as asked
(``int8-block`` by default). A text of any length is tagged in overlapping windows
(:mod:`.token_windows`), never truncated; all windows of a batch of texts are tagged in
batches of ``batch_size`` on the project's thread policy (:mod:`entitylink.encoding.threads`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..encoding.threads import threads_for
from ..errors import ModelLoadError
from .bio import BioScheme
from .tagger import Tagger

Detected = tuple[int, int, str | None]  # as detectors.Detected: start, end, entity type

__all__ = ["NER_CONFIG_FILE", "DetectorModel", "ModelDetector", "read_detector_model"]

logger = logging.getLogger(__name__)

NER_CONFIG_FILE = "entitylink_ner.json"  # written by train-ner: labels, window, data, dev scores
DEFAULT_WINDOW = 256  # tokens per window of a checkpoint that names none
DEFAULT_OVERLAP = 32
WEIGHTS = ("model.safetensors", "pytorch_model.bin")
TOKENIZERS = ("tokenizer.json", "vocab.txt", "vocab.json", "sentencepiece.bpe.model")


@dataclass(frozen=True)
class DetectorModel:
    """What a detector directory holds: its labels as BIO tags and its window."""

    location: str
    scheme: BioScheme
    max_length: int
    overlap: int


def read_detector_model(directory: str | Path) -> DetectorModel:
    """Check that ``directory`` is a token classifier with BIO labels; :class:`ModelLoadError`
    naming what is missing (the directory, ``config.json``, the architecture, the labels, the
    weights, the tokenizer)."""
    path = Path(directory).expanduser()
    config_file = path / "config.json"
    if not path.is_dir():
        raise ModelLoadError(f"detector {path}: no such directory")
    if not config_file.is_file():
        raise ModelLoadError(f"detector {path}: no config.json (not a transformers model)")
    config = json.loads(config_file.read_text(encoding="utf-8"))
    architectures = config.get("architectures") or []
    if not any(str(a).endswith("ForTokenClassification") for a in architectures):
        raise ModelLoadError(
            f"detector {path}: not a token classifier (config.json's architectures are "
            f"{architectures or 'missing'}; a ...ForTokenClassification model is needed)"
        )
    id2label = config.get("id2label") or {}
    if not id2label:
        raise ModelLoadError(f"detector {path}: config.json has no id2label (the BIO labels)")
    labels = [str(id2label.get(str(i), id2label.get(i, ""))) for i in range(len(id2label))]
    scheme = BioScheme.from_labels(labels, f"detector {path}")
    if not any((path / name).is_file() for name in WEIGHTS):
        raise ModelLoadError(f"detector {path}: no weights ({' or '.join(WEIGHTS)})")
    if not any((path / name).is_file() for name in TOKENIZERS):
        raise ModelLoadError(f"detector {path}: no tokenizer ({', '.join(TOKENIZERS)})")
    settings = {}
    if (path / NER_CONFIG_FILE).is_file():
        settings = json.loads((path / NER_CONFIG_FILE).read_text(encoding="utf-8"))
    longest = int(config.get("max_position_embeddings", 512))
    max_length = int(settings.get("max_length", min(DEFAULT_WINDOW, longest)))
    overlap = int(settings.get("overlap", min(DEFAULT_OVERLAP, max_length // 4)))
    return DetectorModel(str(path), scheme, max_length, overlap)


class ModelDetector:
    """Tag texts with a token classifier (see the module's docstring).

    Parameters
    ----------
    directory
        The checkpoint directory (:func:`read_detector_model` checks it).
    types
        Keep spans of these entity types only (``{"Disease"}``); default: all.
    quantize
        ``"int8-block"`` (default), ``"int8"`` or None (float32) weights in ONNX Runtime.
    threads
        Threads of a batch; default: the project's policy (:func:`~entitylink.encoding.
        threads.threads_for`).
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        types: Collection[str] | None = None,
        quantize: str | None = "int8-block",
        threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        from ..encoding.onnx import OnnxModel  # onnxruntime, only when a detector is made

        self.info = read_detector_model(directory)
        self.types = frozenset(types) if types is not None else None
        self.threads, self.quantize = threads, quantize
        self.model = OnnxModel(
            self.info.location,
            pooling="mean",
            max_length=self.info.max_length,
            quantize=quantize,
            task="token-classification",
        )
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.model.tokens_file))
        self.tagger = Tagger(
            tokenizer,
            self.info.scheme,
            size=self.info.max_length - 2,
            overlap=self.info.overlap,
            batch_size=batch_size,
            where=f"detector {self.info.location}",
        )

    def detect_many(self, texts: Sequence[str]) -> list[list[Detected]]:
        """The typed spans of each text, in text order."""

        def run(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> NDArray[np.float32]:
            return self.model.hidden(ids, mask, threads_for(len(ids), self.threads))

        found = self.tagger.tag(texts, run)
        return [
            [(s, e, kind) for s, e, kind in spans if self.types is None or kind in self.types]
            for spans in found
        ]
