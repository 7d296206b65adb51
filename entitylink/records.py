"""Small immutable records that cross module boundaries; no logic lives here.

>>> Concept("C0027051", "Myocardial Infarction", aliases=("heart attack",), types=("T047",))
Concept(concept_id='C0027051', name='Myocardial Infarction', aliases=('heart attack',), ...)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Concept:
    """One entry of a vocabulary: an ID, its canonical name and its other names.

    ``aliases`` never repeats ``name``; ``types`` are semantic types (UMLS TUIs such as ``T047``
    or a vocabulary's own categories); ``alt_ids`` are other IDs of the same concept (MEDIC's OMIM
    numbers, OBO ``alt_id``); ``source`` names the vocabulary (``MSH``, ``HPO``, ``MEDIC`` ...).
    """

    concept_id: str
    name: str
    aliases: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    definition: str | None = None
    source: str | None = None
    alt_ids: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by the aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A concept proposed for a mention; its rank is its position in the result list.

    ``matched_name`` is the concept's name (canonical or alias) closest to the mention, and
    ``score`` the inner product of the two vectors (cosine when the index is normalised).
    """

    concept_id: str
    name: str
    matched_name: str
    score: float
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """A gold-annotated mention of a benchmark.

    ``gold`` holds the normalised gold IDs in their order (several for a composite mention such as
    "breast and ovarian cancer"); ``components`` the component mentions when the corpus gives them
    (BC5CDR's 7th column); ``doc_id`` names the document whose text resolves abbreviations.
    """

    text: str
    gold: tuple[str, ...]
    doc_id: str | None = None
    start: int | None = None
    end: int | None = None
    type: str | None = None
    components: tuple[str, ...] = ()
