"""Texts → token windows → a token classifier's logits → typed spans, for any runtime.

>>> tagger = Tagger(tokenizer, scheme, size=254, overlap=32)                 # doctest: +SKIP
>>> tagger.tag(["Tamoxifen and breast cancer."], run)                        # doctest: +SKIP
[[(0, 9, 'Chemical'), (14, 27, 'Disease')]]

``run(ids, mask)`` takes one padded batch (int64 arrays, special tokens included) and returns
its logits (batch × tokens × labels): ONNX Runtime in the detector
(:mod:`.model_detector`), torch when training scores its dev split
(:mod:`entitylink.training.ner`). Every window of every text goes into one list, sorted by
length and cut into batches, so short texts share batches and long ones never truncate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from ..encoding.tokens import pad_arrays
from .bio import BioScheme, TypedSpan
from .token_windows import model_inputs, plain_tokenizer, specials, stitch, tokenize, windows

Run = Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.float32]]


class Tagger:
    """Cut texts into windows of ``size`` tokens (plus the special tokens) sharing ``overlap``,
    tag them ``batch_size`` windows at a time and decode the stitched tags into spans."""

    def __init__(
        self,
        tokenizer: object,
        scheme: BioScheme,
        *,
        size: int,
        overlap: int,
        batch_size: int = 32,
        where: str = "tokenizer",
    ) -> None:
        self.tokenizer = plain_tokenizer(tokenizer)
        self.special = specials(self.tokenizer, where)
        self.scheme = scheme
        self.size, self.overlap, self.batch_size = size, overlap, batch_size
        windows(size, size, overlap)  # checks size and overlap now

    def tag(self, texts: Sequence[str], run: Run) -> list[list[TypedSpan]]:
        """The spans of each text, in text order (none for an empty text)."""
        tokenized = tokenize(self.tokenizer, texts)
        spans = [windows(len(t.ids), self.size, self.overlap) for t in tokenized]
        inputs = [
            (text, window, ids)
            for text, (t, s) in enumerate(zip(tokenized, spans, strict=True))
            for window, ids in enumerate(model_inputs(t, s, self.special))
        ]
        tags: list[list[list[int]]] = [[[] for _ in s] for s in spans]
        inputs.sort(key=lambda item: len(item[2]))
        for start in range(0, len(inputs), self.batch_size):
            batch = inputs[start : start + self.batch_size]
            ids, mask = pad_arrays([row for _, _, row in batch], self.special.pad)
            best = np.asarray(run(ids, mask)).argmax(axis=-1)
            for row, (text, window, window_ids) in enumerate(batch):
                tags[text][window] = best[row, 1 : len(window_ids) - 1].tolist()
        return [
            self.scheme.decode(stitch(tags[i], spans[i], len(t.ids)), t.offsets, texts[i])
            for i, t in enumerate(tokenized)
        ]
