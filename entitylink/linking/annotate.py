"""Text in, linked spans out: detect mentions, resolve abbreviations, link in batches.

>>> linker = Linker.from_dir("indexes/medic")                                  # doctest: +SKIP
>>> annotator = Annotator(linker, threshold=0.8)                               # doctest: +SKIP
>>> [(s.text, s.concept_id) for s in annotator.annotate(["..."])[0].spans]     # doctest: +SKIP
[('Wilson disease', 'D006527'), ('WD', 'D006527')]
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ..records import Candidate
from . import inputs
from .abbreviations import find_abbreviations, short_form_spans
from .bio import entity_type
from .detectors import Detected, Detector, DictionaryDetector
from .documents import Document, Span
from .linker import STAGES as LINK_STAGES
from .linker import Linker, type_set
from .queries import LINK_BATCH
from .timing import StageTimes, timed

logger = logging.getLogger(__name__)

STAGES = ("detection", "abbreviation", *LINK_STAGES)

GivenSpan = tuple[int, int] | tuple[int, int, str | None]


class GivenSpans:
    """The detector for input that already carries its mentions: ``annotate(texts, spans=...)``
    links exactly those spans (NIL ones stay, with no candidates)."""

    def detect_many(self, texts: Sequence[str]) -> list[list[Detected]]:
        raise ValueError("GivenSpans: pass the spans with annotate(texts, spans=...)")


@dataclass
class Carried:
    """The abbreviations of a long text's earlier windows: the definitions, and the short
    forms whose long form held a mention."""

    defined: dict[str, str] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)


class Annotator:
    """Detect mentions in texts and link them with a :class:`Linker`.

    Parameters
    ----------
    linker
        The linker; ``None`` with a :class:`DictionaryDetector` links each span to the concepts
        bearing its name exactly (score 1.0, no encoder: the dictionary baseline).
    detector
        A :class:`DictionaryDetector` (default: built from the linker's index), a
        :class:`~entitylink.linking.spacy_detector.SpacyDetector`, :class:`GivenSpans`, or any
        other :class:`~entitylink.linking.detectors.Detector`.
    k, threshold, types
        As in :meth:`Linker.link`; a detected span whose best score is below ``threshold``, or
        left without a concept of ``types``, is NIL and dropped.
    abbreviations
        Find ``long form (SF)`` definitions per document (Schwartz & Hearst), link a short form
        through its long form, and take every later occurrence of a short form whose long form
        holds a mention as a mention too (with that mention's label).
    type_map
        Typed linking (:mod:`.type_maps`): a span labelled with entity type ``T`` (its label read
        by :func:`~.bio.entity_type`: ``B-Disease``, ``DISEASE`` are ``Disease``) is linked
        among the concepts of ``type_map[T]`` only, inside the vector search; spans of other
        labels are linked with ``types``.
    """

    def __init__(
        self,
        linker: Linker | None,
        detector: Detector | None = None,
        *,
        k: int = 5,
        threshold: float | None = None,
        types: Collection[str] | None = None,
        abbreviations: bool = True,
        batch_size: int = LINK_BATCH,
        type_map: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        if detector is None:
            if linker is None:
                raise ValueError("Annotator needs a linker, a detector, or both")
            detector = DictionaryDetector.from_store(linker.index.store)
        if linker is None and not isinstance(detector, DictionaryDetector):
            raise ValueError("without a linker, the detector must be a DictionaryDetector")
        self.linker, self.detector = linker, detector
        self.k, self.batch_size = inputs.count(k, "k"), inputs.count(batch_size, "batch_size")
        self.threshold = inputs.score(threshold, "threshold")
        self.types = type_set(types)
        self.abbreviations = abbreviations
        self.type_map = {entity_type(k): type_set(v) for k, v in (type_map or {}).items()}

    def annotate(
        self,
        texts: Sequence[str],
        *,
        spans: Sequence[Sequence[GivenSpan]] | None = None,
        ids: Sequence[str | None] | None = None,
        times: StageTimes | None = None,
        carry: Carried | None = None,
    ) -> list[Document]:
        """One :class:`Document` per text, its spans in text order.

        ``spans`` (one list per text, ``(start, end[, label])``) is required with
        :class:`GivenSpans` and ignored otherwise; ``ids`` are copied to the documents;
        ``times`` gets the seconds of each stage (:data:`STAGES`), for benchmarks; ``carry``
        holds the abbreviations of the earlier windows of one long text
        (:mod:`~entitylink.linking.windows`), read and updated here. ``texts`` is a sequence of
        ``str``, as ``Linker.link``'s mentions (:mod:`.inputs`).
        """
        texts = inputs.texts(texts, "texts")
        with timed(times, "detection"):
            if isinstance(self.detector, GivenSpans):
                detected = _given(texts, spans)
            else:
                detected = self.detector.detect_many(texts)
        with timed(times, "abbreviation"):
            drafts = [
                self._draft(t, found, carry) for t, found in zip(texts, detected, strict=True)
            ]
        wanted = {
            (linked, self._types_of(span[2])) for _, found in drafts for span, linked in found
        }
        linked = self._link(wanted, times)
        keep_nil = isinstance(self.detector, GivenSpans)
        documents = []
        for position, (text, (abbreviations, found)) in enumerate(zip(texts, drafts, strict=True)):
            made = [
                Span(start, end, text[start:end], linked_text, hits, label, source)
                for (start, end, label, source), linked_text in found
                if (hits := linked[(linked_text, self._types_of(label))]) or keep_nil
            ]
            doc_id = ids[position] if ids is not None else None
            documents.append(Document(text, tuple(made), doc_id, abbreviations))
        return documents

    def _draft(
        self, text: str, found: list[Detected], carry: Carried | None = None
    ) -> tuple[tuple[tuple[str, str], ...], list[tuple[tuple[int, int, str | None, str], str]]]:
        """The spans of one text with what to link for each, abbreviations resolved."""
        drafts = [((s, e, label, "detector"), text[s:e]) for s, e, label in found]
        if not self.abbreviations or not text:
            return (), drafts
        defined = find_abbreviations(text)
        if carry is not None:  # the first definition of a short form holds, as in one pass
            defined = carry.defined | {s: lf for s, lf in defined.items() if s not in carry.defined}
            carry.defined = defined
        if not defined:
            return (), drafts
        drafts = [(span, defined.get(linked.strip(), linked)) for span, linked in drafts]
        if not isinstance(self.detector, GivenSpans):
            taken = sorted((s, e) for (s, e, _, _), _ in drafts)
            occurrences = short_form_spans(text, defined)
            held = _held(text, defined, occurrences, taken)
            if carry is not None:
                held = carry.held = held | carry.held
            for start, end, short in occurrences:
                if short in held and not _overlaps(taken, start, end):
                    label = _label_within(text, defined[short], found)
                    drafts.append(((start, end, label, "abbreviation"), defined[short]))
            drafts.sort(key=lambda draft: draft[0][:2])
        return tuple(defined.items()), drafts

    def _types_of(self, label: str | None) -> frozenset[str] | None:
        """The concept types a span of this label is linked among (``types`` if unmapped)."""
        if label is None or not self.type_map:
            return self.types
        return self.type_map.get(entity_type(label), self.types)

    def _link(
        self, wanted: set[tuple[str, frozenset[str] | None]], times: StageTimes | None
    ) -> dict[tuple[str, frozenset[str] | None], tuple[Candidate, ...]]:
        """Each distinct ``(text, types)`` linked: one linker call per set of types."""
        groups: dict[frozenset[str] | None, list[str]] = defaultdict(list)
        for text, types in sorted(wanted, key=lambda item: (item[0], sorted(item[1] or ()))):
            groups[types].append(text)
        linked: dict[tuple[str, frozenset[str] | None], tuple[Candidate, ...]] = {}
        for types, queries in groups.items():
            if self.linker is None:
                assert isinstance(self.detector, DictionaryDetector)
                exact = (self.detector.exact(q) for q in queries)
                found = [_filter(hits, types)[: self.k] for hits in exact]
            else:
                results = self.linker.link(
                    queries,
                    self.k,
                    threshold=self.threshold,
                    types=types,
                    batch_size=self.batch_size,
                    times=times,
                )
                found = [tuple(hits) for hits in results]
            linked.update(((q, types), hits) for q, hits in zip(queries, found, strict=True))
        return linked


def annotate(
    texts: Sequence[str],
    linker: Linker | None,
    detector: Detector | None = None,
    *,
    k: int = 5,
    threshold: float | None = None,
    types: Collection[str] | None = None,
    spans: Sequence[Sequence[GivenSpan]] | None = None,
) -> list[Document]:
    """``Annotator(linker, detector, ...).annotate(texts)`` in one call."""
    annotator = Annotator(linker, detector, k=k, threshold=threshold, types=types)
    return annotator.annotate(texts, spans=spans)


def _filter(found: list[Candidate], types: frozenset[str] | None) -> tuple[Candidate, ...]:
    if types is None:
        return tuple(found)
    return tuple(c for c in found if not types.isdisjoint(c.types))


def _label_within(text: str, long: str, found: list[Detected]) -> str | None:
    """The label of the first detected span whose text is part of ``long`` (a long form)."""
    return next((label for s, e, label in found if label and text[s:e] in long), None)


def _held(
    text: str,
    defined: dict[str, str],
    occurrences: list[tuple[int, int, str]],
    taken: list[tuple[int, int]],
) -> set[str]:
    """The short forms whose long form, in its definition (next to the first occurrence of the
    short form), holds a detected mention. Looks only near that occurrence: linear in the text."""
    first: dict[str, int] = {}
    for start, _, short in occurrences:
        first.setdefault(short, start)
    held = set()
    for short, at in first.items():
        long = defined[short]
        window = (max(0, at - len(long) - 20), at + len(short) + len(long) + 20)
        where = text.find(long, *window)
        if where >= 0 and _overlaps(taken, where, where + len(long)):
            held.add(short)
    return held


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of the sorted spans (which may nest)."""
    before = bisect.bisect_left(taken, (end, end))  # spans starting before ``end``
    return any(e > start for _, e in taken[max(0, before - 8) : before])


def _given(
    texts: Sequence[str], spans: Sequence[Sequence[GivenSpan]] | None
) -> list[list[Detected]]:
    if spans is None or len(spans) != len(texts):
        raise ValueError("GivenSpans: pass one list of (start, end[, label]) spans per text")
    detected: list[list[Detected]] = []
    for number, (text, given) in enumerate(zip(texts, spans, strict=True)):
        found: list[Detected] = []
        for span in given:
            start, end = span[0], span[1]
            label = span[2] if len(span) > 2 else None
            if not 0 <= start < end <= len(text):
                raise ValueError(
                    f"text {number}: span ({start}, {end}) outside the text of {len(text)} chars"
                )
            found.append((start, end, label))
        detected.append(sorted(found, key=lambda d: (d[0], d[1])))
    return detected
