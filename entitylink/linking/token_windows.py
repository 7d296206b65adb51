"""A text's tokens in overlapping windows that fit a model, and the windows' tags stitched back.

>>> windows(10, size=4, overlap=2)
[(0, 4), (2, 6), (4, 8), (6, 10)]
>>> cores(windows(10, size=4, overlap=2), 10)
[(0, 3), (3, 5), (5, 7), (7, 10)]
>>> stitch([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3], [4, 4, 4, 4]], windows(10, 4, 2), 10)
[1, 1, 1, 2, 2, 3, 3, 4, 4, 4]

A text is tokenized once, without special tokens and without truncation; its token offsets
are characters of the Python string (the ``tokenizers`` offset mapping), so spans decoded from
them are exact on non-ASCII and CRLF text. Each window of at most ``size`` tokens gets the
model's special tokens around it (``[CLS] ... [SEP]``); consecutive windows share ``overlap``
tokens, and each token's tag is taken from the window in which it lies farthest from an edge
(its *core*). Training (:mod:`entitylink.training.ner_data`) and the detector
(:mod:`.model_detector`) cut windows with these same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ModelLoadError


@dataclass(frozen=True)
class Tokenized:
    """One text's token IDs and their ``(start, end)`` characters, no special tokens."""

    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Specials:
    """The special token IDs a window is wrapped in, and the padding ID."""

    first: int
    last: int
    pad: int


def plain_tokenizer(tokenizer: Any) -> Any:
    """A copy of a ``tokenizers.Tokenizer`` with no truncation and no padding."""
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    return copy


def specials(tokenizer: Any, where: str = "tokenizer") -> Specials:
    """``[CLS]``/``[SEP]`` (BERT) or ``<s>``/``</s>`` (RoBERTa) and the padding ID."""
    for first, last, pad in (("[CLS]", "[SEP]", "[PAD]"), ("<s>", "</s>", "<pad>")):
        ids = [tokenizer.token_to_id(t) for t in (first, last)]
        if None not in ids:
            padding = tokenizer.token_to_id(pad)
            return Specials(ids[0], ids[1], padding if padding is not None else 0)
    raise ModelLoadError(f"{where}: no [CLS]/[SEP] or <s>/</s> tokens in its vocabulary")


def tokenize(tokenizer: Any, texts: Sequence[str]) -> list[Tokenized]:
    """Each text's tokens (``tokenizer``: from :func:`plain_tokenizer`); empty text, no tokens."""
    encodings = tokenizer.encode_batch(list(texts), add_special_tokens=False) if texts else []
    return [
        Tokenized(tuple(e.ids), tuple((int(a), int(b)) for a, b in e.offsets)) for e in encodings
    ]


def windows(count: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """``(first, end)`` token ranges of at most ``size`` tokens covering ``count`` tokens, each
    sharing ``overlap`` tokens with the next; none for no tokens."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"windows of {size} tokens cannot overlap by {overlap}")
    found: list[tuple[int, int]] = []
    start = 0
    while start < count:
        found.append((start, min(start + size, count)))
        if start + size >= count:
            break
        start += size - overlap
    return found


def cores(spans: Sequence[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    """The tokens each window owns: the halfway points of the overlaps split them."""
    if not spans:
        return []
    bounds = [0, *((spans[i][0] + spans[i - 1][1]) // 2 for i in range(1, len(spans))), count]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def stitch(
    tags: Sequence[Sequence[int]], spans: Sequence[tuple[int, int]], count: int
) -> list[int]:
    """One tag per token from the windows' tags (``tags[w][j]``: token ``spans[w][0] + j``)."""
    stitched: list[int] = []
    for window, (first, _), (start, end) in zip(tags, spans, cores(spans, count), strict=True):
        stitched.extend(window[start - first : end - first])
    return stitched


def model_inputs(
    tokenized: Tokenized, spans: Sequence[tuple[int, int]], special: Specials
) -> list[list[int]]:
    """Each window's IDs wrapped in the special tokens."""
    return [[special.first, *tokenized.ids[a:b], special.last] for a, b in spans]
