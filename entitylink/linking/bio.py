"""BIO tags of a token classifier: labels to entity types, character spans to tags and back.

>>> scheme = BioScheme.from_labels(["O", "B-Disease", "I-Disease", "B-CHEMICAL", "I-CHEMICAL"])
>>> scheme.types
('Chemical', 'Disease')
>>> offsets = [(0, 6), (7, 13), (14, 16), (17, 26)]          # "breast cancer in tamoxifen"
>>> tags = scheme.encode(offsets, [(0, 13, "Disease"), (17, 26, "Chemical")])
>>> [scheme.labels[t] for t in tags]
['B-Disease', 'I-Disease', 'O', 'B-CHEMICAL']
>>> scheme.decode(tags, offsets, "breast cancer in tamoxifen")
[(0, 13, 'Disease'), (17, 26, 'Chemical')]

A label names its entity type after an optional ``B-``/``I-`` (or ``B_``, ``S-``, ``E-``...)
prefix; :func:`entity_type` maps the usual spellings of one type to one name (``DISEASE``,
``Disease``, ``SpecificDisease``, ``B-Disease`` are all ``Disease``; ``CHEM``, ``Chemical``,
``Drug`` are ``Chemical``), so any token-classification checkpoint with BIO (or IO, BIOES)
labels works. ``O`` (or ``0``, ``OUT``) is outside.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import ModelLoadError

Offsets = Sequence[tuple[int, int]]  # each token's characters in the text
TypedSpan = tuple[int, int, str]  # start, end, entity type

OUTSIDE = frozenset({"o", "0", "out", "outside"})
_PREFIX = re.compile(r"^([BIESLU])[-_](.+)$")
# the spellings of one entity type, lowercased with non-letters dropped -> the type's name
TYPE_NAMES = {
    **dict.fromkeys(
        ("disease", "diseases", "disorder", "dis", "specificdisease", "diseaseclass",
         "compositemention", "modifier", "diseaseordisorder", "diso"),
        "Disease",
    ),
    **dict.fromkeys(
        ("chemical", "chemicals", "chem", "drug", "drugs", "simplechemical", "chemicalentity",
         "chemicalordrug", "chebi"),
        "Chemical",
    ),
    **dict.fromkeys(("gene", "genes", "protein", "geneorgeneproduct", "ggp", "dna", "rna"), "Gene"),
    **dict.fromkeys(("species", "organism", "taxon"), "Species"),
    **dict.fromkeys(("cellline", "cell_line"), "CellLine"),
}  # fmt: skip


def entity_type(label: str) -> str:
    """The entity type a label names: its ``B-``/``I-`` prefix dropped and its usual spellings
    joined (:data:`TYPE_NAMES`); other names are kept as written.

    >>> entity_type("B-DISEASE"), entity_type("I-Chemical"), entity_type("SpecificDisease")
    ('Disease', 'Chemical', 'Disease')
    >>> entity_type("B-CellType")
    'CellType'
    """
    match = _PREFIX.match(label.strip())
    name = match.group(2) if match else label.strip()
    return TYPE_NAMES.get(re.sub(r"[^a-z]", "", name.lower()), name)


def bio_labels(types: Sequence[str]) -> list[str]:
    """``O`` then ``B-T``, ``I-T`` for each type, sorted: the labels a model is trained with."""
    return ["O", *(f"{tag}-{t}" for t in sorted(set(types)) for tag in "BI")]


@dataclass(frozen=True)
class BioScheme:
    """A model's labels (by output index) read as BIO tags: ``begins[i]``/``inside[i]`` is the
    type that label ``i`` begins or continues, absent for ``O``."""

    labels: tuple[str, ...]
    begins: Mapping[int, str]
    inside: Mapping[int, str]

    @classmethod
    def from_labels(cls, labels: Sequence[str], where: str = "labels") -> BioScheme:
        """The scheme of ``labels`` (index order); :class:`ModelLoadError` when they are no
        tagging labels (no ``O``, transformers' default ``LABEL_0``... names)."""
        begins: dict[int, str] = {}
        inside: dict[int, str] = {}
        outside = [i for i, label in enumerate(labels) if label.strip().lower() in OUTSIDE]
        if not outside or len(labels) < 2 or any(re.match(r"^LABEL_\d+$", x) for x in labels):
            raise ModelLoadError(
                f"{where}: not BIO tags (an 'O' label and 'B-TYPE'/'I-TYPE' labels wanted, "
                f"found {list(labels)[:6]}); the directory's config.json needs its id2label"
            )
        for i, label in enumerate(labels):
            if i in outside:
                continue
            match = _PREFIX.match(label.strip())
            kind = entity_type(label)
            if match and match.group(1) in "BSU":
                begins[i] = kind
            else:  # I-, E-, L- or a bare type (IO tags): continues a span of its type
                inside[i] = kind
        return cls(tuple(labels), begins, inside)

    @property
    def types(self) -> tuple[str, ...]:
        """The entity types of the labels, sorted."""
        return tuple(sorted({*self.begins.values(), *self.inside.values()}))

    def index(self, tag: str, kind: str) -> int:
        """The label of tag ``B``/``I`` of ``kind`` (``I`` falls back on a bare type label)."""
        found = self.begins if tag == "B" else self.inside
        for i, name in found.items():
            if name == kind:
                return i
        if tag == "B":
            return self.index("I", kind)
        raise KeyError(f"no {tag} label of type {kind!r} in {list(self.labels)}")

    def encode(self, offsets: Offsets, spans: Sequence[TypedSpan]) -> list[int]:
        """Each token's label: ``B`` on the first token overlapping a span, ``I`` on the next
        ones, ``O`` elsewhere (spans must not overlap each other)."""
        outside = next(i for i, x in enumerate(self.labels) if x.strip().lower() in OUTSIDE)
        tags = [outside] * len(offsets)
        ordered = sorted(spans)
        at = 0
        for position, (start, end) in enumerate(offsets):
            while at < len(ordered) and ordered[at][1] <= start:
                at += 1
            if at < len(ordered) and ordered[at][0] < end and start < end:
                first = position == 0 or offsets[position - 1][1] <= ordered[at][0]
                tags[position] = self.index("B" if first else "I", ordered[at][2])
        return tags

    def decode(self, tags: Sequence[int], offsets: Offsets, text: str) -> list[TypedSpan]:
        """The spans of a tag sequence: a ``B``, or an ``I`` after another type or ``O``,
        starts a span; the next ``I`` of its type continue it. A span is widened to the
        whole words it touches (a word's later pieces tagged ``O`` are taken in)."""
        spans: list[list[int | str]] = []
        current: str | None = None
        for tag, (start, end) in zip(tags, offsets, strict=True):
            kind = self.begins.get(tag) or self.inside.get(tag)
            if kind is None:
                current = None
                continue
            if tag in self.begins or kind != current:
                spans.append([start, end, kind])
            else:
                spans[-1][1] = end
            current = kind
        return _widen([(int(s), int(e), str(k)) for s, e, k in spans], text)


def _widen(spans: list[TypedSpan], text: str) -> list[TypedSpan]:
    """Spans moved out to word boundaries (letters and digits on both sides of an edge), then
    merged where they meet or overlap with one type."""
    widened: list[TypedSpan] = []
    for start, end, kind in spans:
        while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
            end += 1
        if widened and start < widened[-1][1]:
            last = widened[-1]
            widened[-1] = (last[0], max(last[1], end), last[2])
            continue
        widened.append((start, end, kind))
    return widened
