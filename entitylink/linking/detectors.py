"""Mention detectors: text in, ``(start, end, label)`` character spans out.

* :class:`DictionaryDetector` finds the index's own names (an Aho-Corasick automaton over
  normalised tokens; works for any index, no model);
* :class:`~entitylink.linking.spacy_detector.SpacyDetector` takes the entities of any spaCy
  pipeline (``en_core_sci_sm``, ...; in :mod:`.spacy_detector`, beside the spaCy component);
* :class:`GivenSpans` marks that the spans come with the input (PubTator, BioC, JSONL).

>>> detector = DictionaryDetector.from_names([("D1", "breast cancer"), ("D2", "ALS")])
>>> detector.detect("Breast cancers and ALS, not als.")
[(0, 14, None), (19, 22, None)]
"""

from __future__ import annotations

import bisect
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Protocol

import ahocorasick
import numpy as np

from ..records import Candidate

if TYPE_CHECKING:
    from ..index.store import ConceptStore

logger = logging.getLogger(__name__)

Detected = tuple[int, int, str | None]  # start, end (characters of the Python str), label

_TOKEN = re.compile(r"\w+|[^\w\s]")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")  # hyphen ~ space: dropped
_APOSTROPHES = frozenset("'\u2019")
_PLURALS = ("s", "es")
NAME_BATCH = 50_000


class Detector(Protocol):
    """Anything that finds mentions in texts."""

    def detect_many(self, texts: Sequence[str]) -> list[list[Detected]]: ...


def tokens(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, lowercased token)`` of the words and symbols of ``text``, as the detector
    compares them: dashes are dropped (``non-Hodgkin`` is ``non hodgkin``), and so is a
    possessive ``'s`` (``Parkinson's disease`` is ``parkinson disease``)."""
    found: list[tuple[int, int, str]] = []
    matches = list(_TOKEN.finditer(text))
    skip = -1
    for i, match in enumerate(matches):
        token = match.group()
        if i == skip or token in _DASHES:
            continue
        if (
            token in _APOSTROPHES
            and found
            and found[-1][1] == match.start()
            and i + 1 < len(matches)
            and matches[i + 1].group().lower() == "s"
            and matches[i + 1].start() == match.end()
        ):
            skip = i + 1  # the possessive 's
            continue
        found.append((match.start(), match.end(), token.lower()))
    return found


def normalize_name(name: str) -> str:
    """A name as the detector matches it: its :func:`tokens` joined by single spaces.

    >>> normalize_name("Parkinson's Disease"), normalize_name("Non-Hodgkin  lymphoma")
    ('parkinson disease', 'non hodgkin lymphoma')
    """
    return " ".join(token for _, _, token in tokens(name))


def default_stop_list() -> frozenset[str]:
    """The shipped stop list (``linking/stoplist.txt``): names that are common words."""
    text = resources.files(__package__).joinpath("stoplist.txt").read_text(encoding="utf-8")
    return frozenset(
        normalize_name(line) for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def _is_short_caps(name: str, caps_max: int) -> bool:
    return len(name) <= caps_max and name.isupper()


def _singular(key: str) -> str | None:
    """``breast neoplasms`` -> ``breast neoplasm`` (a variant added for plural names)."""
    last = key.rsplit(" ", 1)[-1]
    if len(last) >= 5 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        return key[:-1]
    return None


@dataclass(frozen=True)
class DictionaryOptions:
    """The detector's filters: names shorter than ``min_length`` characters and names in
    ``stop_list`` (normalised) are never matched; a name of at most ``caps_max`` characters
    written in capitals (``ALS``, ``AIDS``) matches only text written the same way."""

    min_length: int = 3
    stop_list: frozenset[str] | None = None  # None: the shipped default_stop_list()
    caps_max: int = 5
    plurals: bool = True


class DictionaryDetector:
    """Find the names of a vocabulary in text, longest non-overlapping match first.

    Names and text are compared as :func:`tokens`: lowercased, dashes and possessive ``'s``
    dropped; a match must start and end on token boundaries, except that a plural ``s``/``es``
    after a name is taken in (``breast cancers``). Build it from an index with
    :meth:`from_store` (the names of ``concepts.sqlite``, read in batches: no pickle).
    """

    def __init__(
        self,
        entries: Iterable[tuple[int, str, str]],
        options: DictionaryOptions | None = None,
        store: ConceptStore | None = None,
    ) -> None:
        self.options = options or DictionaryOptions()
        stop = self.options.stop_list
        self.stop_list = default_stop_list() if stop is None else stop
        self.store = store
        clock = time.perf_counter()
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        key_ids: dict[str, int] = {}
        rows: list[list[int]] = []
        lengths: list[int] = []
        caps: dict[int, set[str]] = {}
        lower: set[int] = set()
        self._concepts: dict[int, str] = {}
        for row, concept_id, name in entries:
            key = normalize_name(name)
            if len(key) < self.options.min_length or key in self.stop_list:
                continue
            if not any(c.isalpha() for c in key):
                continue
            self._concepts[row] = concept_id
            variant = _singular(key) if self.options.plurals else None
            for form in (key, variant) if variant and variant not in self.stop_list else (key,):
                index = key_ids.setdefault(form, len(key_ids))
                if index == len(rows):
                    rows.append([])
                    lengths.append(len(form))
                    self._automaton.add_word(form, index)
                if not rows[index] or self._concepts[rows[index][-1]] != concept_id:
                    rows[index].append(row)
                if _is_short_caps(name.strip(), self.options.caps_max):
                    caps.setdefault(index, set()).add(name.strip())
                else:
                    lower.add(index)
        self._caps = {
            index: frozenset(forms) for index, forms in caps.items() if index not in lower
        }
        self._offsets = np.cumsum([0, *map(len, rows)], dtype=np.int64)
        self._rows = np.fromiter((r for group in rows for r in group), dtype=np.int64)
        self._lengths = lengths
        self.size = len(key_ids)
        if self.size:
            self._automaton.make_automaton()
        self.build_seconds = time.perf_counter() - clock
        logger.debug("dictionary of %d names built in %.1f s", self.size, self.build_seconds)

    @classmethod
    def from_store(
        cls, store: ConceptStore, options: DictionaryOptions | None = None
    ) -> DictionaryDetector:
        """The names of an index's concept store."""
        _, total = store.counts()
        return cls(_store_names(store, total), options, store)

    @classmethod
    def from_names(
        cls, names: Iterable[tuple[str, str]], options: DictionaryOptions | None = None
    ) -> DictionaryDetector:
        """A detector over ``(concept_id, name)`` pairs (tests, small vocabularies)."""
        return cls(((row, cid, name) for row, (cid, name) in enumerate(names)), options)

    def __len__(self) -> int:
        return self.size

    def detect_many(self, texts: Sequence[str]) -> list[list[Detected]]:
        return [self.detect(text) for text in texts]

    def detect(self, text: str) -> list[Detected]:
        """The names found in ``text``: ``(start, end, None)``, in text order."""
        if not self.size:
            return []
        found = tokens(text)
        if not found:
            return []
        norm_starts, position = [], 0
        for _, _, token in found:
            norm_starts.append(position)
            position += len(token) + 1
        normalised = " ".join(token for _, _, token in found)
        by_start = {p: i for i, p in enumerate(norm_starts)}
        hits: list[tuple[int, int, int]] = []  # (first token, last token, key)
        for end, index in self._automaton.iter(normalised):
            last = bisect.bisect_right(norm_starts, end) - 1
            rest = found[last][2][end + 1 - norm_starts[last] :]
            if rest and not (self.options.plurals and rest in _PLURALS):
                continue
            begin = end + 1 - self._lengths[index]
            first = by_start.get(begin)
            if first is None:
                continue
            if index in self._caps:
                covered = text[found[first][0] : found[last][1]]
                if covered not in self._caps[index] and covered[:-1] not in self._caps[index]:
                    continue
            hits.append((first, last, index))
        return [(found[a][0], found[b][1], None) for a, b, _ in _longest_first(hits, len(found))]

    def lookup(self, text: str) -> list[int]:
        """The index rows of the concepts whose name is ``text`` exactly (after normalisation),
        one row per concept, in row order; empty when it is no name."""
        key = normalize_name(text)
        index = self._automaton.get(key, None) if self.size else None
        if index is None:
            return []
        rows: list[int] = self._rows[self._offsets[index] : self._offsets[index + 1]].tolist()
        return rows

    def exact(self, text: str) -> list[Candidate]:
        """The concepts named ``text`` as candidates of score 1.0 (the no-encoder baseline)."""
        rows = self.lookup(text)
        if not rows:
            return []
        if self.store is None:
            return [Candidate(self._concepts[r], text, text, 1.0) for r in rows]
        names = self.store.lookup(rows)
        return [
            Candidate(
                names[r].concept_id, names[r].canonical_name, names[r].name, 1.0, names[r].types
            )
            for r in rows
        ]


def _store_names(store: ConceptStore, total: int) -> Iterator[tuple[int, str, str]]:
    for start in range(0, total, NAME_BATCH):
        yield from store.concept_names(start, min(start + NAME_BATCH, total))


def _longest_first(hits: list[tuple[int, int, int]], size: int) -> list[tuple[int, int, int]]:
    """Greedy: the longest hits (in tokens) first, leftmost on ties; none overlaps another."""
    taken = bytearray(size)
    chosen = []
    for hit in sorted(hits, key=lambda h: (h[0] - h[1], h[0])):
        first, last, _ = hit
        if not any(taken[first : last + 1]):
            taken[first : last + 1] = b"\x01" * (last + 1 - first)
            chosen.append(hit)
    return sorted(chosen)
