"""The records of text annotation: a :class:`Document` and its linked :class:`Span` s.

>>> span = Span(0, 2, "WD", "Wilson disease", ())
>>> Document("WD is rare.", (span,)).spans[0].linked_text
'Wilson disease'

Both are frozen dataclasses of plain values: ``dataclasses.asdict(document)`` is JSON-ready.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..records import Candidate


@dataclass(frozen=True, slots=True)
class Span:
    """A mention found in a document and its ranked concepts (best first).

    ``start``/``end`` index the document's Python string (code points, not bytes), so
    ``document.text[span.start:span.end] == span.text`` always holds, for non-ASCII text and
    CRLF line ends alike. ``linked_text`` is what was linked: the covered text, or the long form
    when the span is an abbreviation's short form. ``label`` is the detector's type (a spaCy
    entity label, a PubTator type), ``source`` where the span came from: ``"detector"``, or
    ``"abbreviation"`` for a short form found again after its definition.
    """

    start: int
    end: int
    text: str
    linked_text: str
    candidates: tuple[Candidate, ...]
    label: str | None = None
    source: str = "detector"

    @property
    def concept_id(self) -> str | None:
        """The best concept's ID, or None for a span left without candidates."""
        return self.candidates[0].concept_id if self.candidates else None


@dataclass(frozen=True, slots=True)
class Document:
    """One annotated text: its spans in text order, and its abbreviations ``(short, long)``."""

    text: str
    spans: tuple[Span, ...] = ()
    id: str | None = None
    abbreviations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class InputDocument:
    """A document to annotate: text, ID, given ``(start, end, label)`` spans and passages
    ``(kind, start, end)`` (PubTator's title ``t`` and abstract ``a``, BioC's passages)."""

    text: str
    id: str | None = None
    spans: tuple[tuple[int, int, str | None], ...] = ()
    passages: tuple[tuple[str, int, int], ...] = ()


@dataclass(slots=True)
class StreamedDocument:
    """A long annotated text whose spans come one window at a time, written as they come
    (:mod:`~entitylink.linking.windows`): ``spans`` is consumed once, and ``abbreviations``
    is complete only once it has been."""

    text: str
    spans: Iterator[Span]
    id: str | None = None
    abbreviations: list[tuple[str, str]] = field(default_factory=list)

    def materialize(self) -> Document:
        """The whole :class:`Document` (spans all in memory)."""
        spans = tuple(self.spans)
        return Document(self.text, spans, self.id, tuple(self.abbreviations))
