"""Typed linking: which concept types a span of each entity type may link to.

>>> type_map = parse_type_map(["mesh"])
>>> sorted(type_map["Chemical"])[:3], "C10" in type_map["Disease"], "F03" in type_map["Disease"]
(['D01', 'D02', 'D03'], True, True)
>>> {k: sorted(v) for k, v in parse_type_map(["B-Disease=C04,C10", "chemical=D02"]).items()}
{'Disease': ['C04', 'C10'], 'Chemical': ['D02']}

A detector labels its spans with entity types (:func:`~entitylink.linking.bio.entity_type`:
``Disease``, ``Chemical``...). With a type map, the :class:`~.annotate.Annotator` links a span
of type ``T`` only among the concepts of ``type_map[T]``, through the linker's own filter (it
acts inside the vector search: :meth:`~.linker.Linker.link`'s ``types``). A span whose type
the map does not name is linked against every concept (or the annotator's ``types``).

The preset ``mesh`` follows MeSH's tree: diseases are the C tree and F03 (mental disorders),
chemicals the D tree (Chemicals and Drugs). The MeSH reader gives each descriptor the top
levels of its tree numbers as types, and each supplementary concept those of the descriptors it
is mapped to (:func:`~entitylink.vocabularies.ctd.read_mesh`), so ``mesh`` works on a MeSH
index (descriptors and supplementary concepts). A MEDIC index carries no types: use no map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .bio import entity_type

TypeMap = Mapping[str, frozenset[str]]

PRESETS: dict[str, dict[str, frozenset[str]]] = {
    "mesh": {
        "Disease": frozenset({*(f"C{n:02d}" for n in range(1, 27)), "F03"}),
        "Chemical": frozenset(f"D{n:02d}" for n in range(1, 28)),
    },
}


def parse_type_map(specs: Sequence[str]) -> dict[str, frozenset[str]]:
    """A type map from ``LABEL=TYPE,TYPE...`` items and preset names (:data:`PRESETS`), later
    items adding to earlier ones; labels are read as :func:`~.bio.entity_type` reads them."""
    found: dict[str, frozenset[str]] = {}
    for spec in specs:
        items: Mapping[str, frozenset[str]]
        if spec in PRESETS:
            items = PRESETS[spec]
        else:
            label, sep, types = spec.partition("=")
            wanted = frozenset(t.strip() for t in types.split(",") if t.strip())
            if not sep or not label.strip() or not wanted:
                presets = ", ".join(PRESETS)
                raise ValueError(
                    f"type map: expected LABEL=TYPE[,TYPE...] or a preset ({presets}), got {spec!r}"
                )
            items = {entity_type(label): wanted}
        for label, allowed in items.items():
            found[label] = found.get(label, frozenset()) | allowed
    return found
