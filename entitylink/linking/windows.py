"""Annotating a long text window by window, so that memory follows the text, not its spans.

A text longer than :data:`WINDOW_CHARS` is cut at sentence ends (else at whitespace) into
cores of about that many characters; each core is annotated with :data:`OVERLAP_CHARS` of the
text on either side as context, and keeps the spans that start inside it, their offsets moved
to the whole text's. A mention shorter than the overlap is therefore found as in one pass.
The abbreviations defined in earlier windows carry over to the later ones (the first definition
of a short form holds, as in one pass), and each ``(short, long)`` pair is listed once.

>>> document = annotate_long(annotator, text, "doc1")                 # doctest: +SKIP
>>> write_documents([(document, source)], out, "jsonl")                # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from .annotate import Annotator, Carried, GivenSpan, GivenSpans
from .documents import Span, StreamedDocument

WINDOW_CHARS = 1 << 18  # 256 Ki characters per window core
OVERLAP_CHARS = 2_000  # context on each side of a core: longer than any dictionary name


def cuts(text: str, size: int = WINDOW_CHARS, overlap: int = OVERLAP_CHARS) -> list[int]:
    """Offsets ``0 = c0 < c1 < ... < cn = len(text)`` that cut ``text`` into cores of at
    most ``size`` characters: after a sentence end (``". "``) within ``overlap`` characters
    before the limit, else after whitespace there, else at the limit."""
    found, at = [0], 0
    while len(text) - at > size:
        limit = at + size
        low = max(at + 1, limit - overlap)
        sentence = text.rfind(". ", low, limit)
        if sentence >= 0:
            at = sentence + 2
        else:
            space = max(text.rfind(" ", low, limit), text.rfind("\n", low, limit))
            at = space + 1 if space >= 0 else limit
        found.append(at)
    found.append(len(text))
    return found


def annotate_long(
    annotator: Annotator,
    text: str,
    doc_id: str | None = None,
    spans: Sequence[GivenSpan] | None = None,
    *,
    size: int = WINDOW_CHARS,
    overlap: int = OVERLAP_CHARS,
) -> StreamedDocument:
    """``text`` annotated window by window, its spans yielded as each window is done
    (``spans``: the given spans, with :class:`GivenSpans`)."""
    document = StreamedDocument(text, iter(()), doc_id)
    document.spans = _spans(annotator, document, spans, size, overlap)
    return document


def _spans(
    annotator: Annotator,
    document: StreamedDocument,
    given: Sequence[GivenSpan] | None,
    size: int,
    overlap: int,
) -> Iterator[Span]:
    text = document.text
    bounds = cuts(text, size, overlap)
    pending = sorted(given or (), key=lambda span: (span[0], span[1]))
    seen: set[tuple[str, str]] = set()
    carry = Carried()
    taken = 0
    for core_start, core_end in zip(bounds, bounds[1:], strict=False):
        start, end = max(0, core_start - overlap), min(len(text), core_end + overlap)
        mine: list[GivenSpan] = []
        while taken < len(pending) and pending[taken][0] < core_end:
            mine.append(pending[taken])
            end = max(end, pending[taken][1])
            taken += 1
        window = text[start:end]
        shifted = [(s - start, e - start, *rest) for s, e, *rest in mine]
        given_spans = [shifted] if isinstance(annotator.detector, GivenSpans) else None
        (done,) = annotator.annotate([window], spans=given_spans, carry=carry)  # type: ignore[arg-type]
        for pair in done.abbreviations:
            if pair not in seen:
                seen.add(pair)
                document.abbreviations.append(pair)
        for span in done.spans:
            if core_start <= span.start + start < core_end:
                yield dataclasses.replace(span, start=span.start + start, end=span.end + start)
