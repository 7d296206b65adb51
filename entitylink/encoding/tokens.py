"""Tokenisation with the ``tokenizers`` library alone (no transformers): a checkpoint's
``tokenizer.json``, truncated to ``max_length`` with its special tokens, padded into arrays.

>>> tokens = Tokens.load(packaged, max_length=25)           # doctest: +SKIP
>>> ids, mask = pad_arrays(tokens.ids(["heart attack"]), tokens.pad_id)  # doctest: +SKIP

The same ``tokenizer.json`` that transformers' fast tokenizer runs, so the IDs are those of
``AutoTokenizer(...)(texts, truncation=True, max_length=max_length)`` (a test compares them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelLoadError

TOKENIZER_FILE = "tokenizer.json"
# what BERT's tokenizer reads as a space (tab, newline, carriage return, Unicode space
# separators; other control characters it deletes, so they are not spaces here)
_SPACES = re.compile("[ \t\n\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


class Tokens:
    """A ``tokenizers.Tokenizer`` set to truncate at ``max_length`` and not to pad."""

    def __init__(self, tokenizer: object, max_length: int, pad_id: int) -> None:
        self._tokenizer = tokenizer
        self.max_length, self.pad_id = max_length, pad_id

    @classmethod
    def load(cls, directory: str | Path, max_length: int) -> Tokens:
        """The tokenizer of ``directory/tokenizer.json``."""
        from tokenizers import Tokenizer

        path = Path(directory) / TOKENIZER_FILE
        if not path.is_file():
            raise ModelLoadError(f"{path}: no such file (a fast tokenizer's tokenizer.json)")
        return cls.from_tokenizer(Tokenizer.from_file(str(path)), max_length)

    @classmethod
    def from_tokenizer(cls, tokenizer: object, max_length: int) -> Tokens:
        """Wrap a ``tokenizers.Tokenizer`` (e.g. transformers' ``backend_tokenizer``, copied)."""
        from tokenizers import Tokenizer

        assert isinstance(tokenizer, Tokenizer)
        tokenizer = Tokenizer.from_str(tokenizer.to_str())  # a copy: settings change below
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length)
        padding = tokenizer.token_to_id("[PAD]")
        if padding is None:
            padding = tokenizer.token_to_id("<pad>")
        return cls(tokenizer, max_length, padding or 0)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token IDs of each text, with special tokens, at most ``max_length``."""
        if len(texts) == 1:  # encode() is a little cheaper than encode_batch() for one text
            return [self._tokenizer.encode(texts[0]).ids]  # type: ignore[attr-defined]
        encodings = self._tokenizer.encode_batch(list(texts))  # type: ignore[attr-defined]
        return [e.ids for e in encodings]


def pad_arrays(
    batch: Sequence[Sequence[int]], pad: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``input_ids`` padded to the longest row, and the attention mask (int64, as BERT)."""
    longest = max(len(row) for row in batch)
    ids = np.full((len(batch), longest), pad, dtype=np.int64)
    mask = np.zeros((len(batch), longest), dtype=np.int64)
    for i, row in enumerate(batch):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def text_key(text: str, lowercase: bool) -> str:
    """:meth:`Encoder.key` of an encoder that lower-cases or not (an index's manifest says)."""
    return _SPACES.sub(" ", text.lower() if lowercase else text).strip(" ")
