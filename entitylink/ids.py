"""Concept IDs as people write them: the usual CURIE variants compared in one canonical form.

Corpora and vocabularies mix ``HP:0000118``, ``HP_0000118`` and the OBO PURL
``http://purl.obolibrary.org/obo/HP_0000118``, or ``MESH:D000001`` and ``D000001``;
:func:`canonical_id` maps each variant to one form, and :func:`id_variants` lists the forms a
stored ID may take (for lookups).

>>> canonical_id("http://purl.obolibrary.org/obo/HP_0000118"), canonical_id("HP_0000118")
('HP:0000118', 'HP:0000118')
>>> canonical_id("MESH:D000001"), canonical_id("mesh:D000001"), canonical_id("omim:114480")
('D000001', 'D000001', 'OMIM:114480')
"""

from __future__ import annotations

import re

_PURL = re.compile(r"^(?:https?://)?purl\.obolibrary\.org/obo/", re.IGNORECASE)
_UNDERSCORED = re.compile(r"^([A-Za-z][A-Za-z0-9]*)_(\d+)$")  # HP_0000118, NCBITaxon_9606
_MESH_PREFIXES = ("MESH", "MSH")
_UPPER_PREFIXES = ("OMIM",)  # prefixes written in any case that mean one namespace
MESH_ID = re.compile(r"^[CD]\d{6,9}$")


def canonical_id(concept_id: str) -> str:
    """The form under which two writings of one ID compare equal.

    Surrounding blanks go; an OBO PURL and ``PREFIX_digits`` become ``PREFIX:digits``; the
    ``MESH:`` (or ``MSH:``) prefix is dropped, since MeSH IDs are unambiguous without it;
    ``omim:`` is written ``OMIM:``. Other IDs are kept as written.
    """
    text = _PURL.sub("", concept_id.strip())
    if ":" not in text and (match := _UNDERSCORED.match(text)):
        text = f"{match[1]}:{match[2]}"
    prefix, sep, local = text.partition(":")
    if sep and prefix.upper() in _MESH_PREFIXES and local:
        return local
    if sep and prefix.upper() in _UPPER_PREFIXES:
        return f"{prefix.upper()}:{local}"
    return text


def id_variants(concept_id: str) -> tuple[str, ...]:
    """The writings under which a vocabulary may have stored this ID, the canonical one first.

    >>> id_variants("HP_0000118")
    ('HP:0000118', 'HP_0000118', 'http://purl.obolibrary.org/obo/HP_0000118')
    >>> id_variants("MESH:D000001")
    ('D000001', 'MESH:D000001')
    """
    canonical = canonical_id(concept_id)
    variants = [canonical]
    prefix, sep, local = canonical.partition(":")
    if sep and local.isdigit():
        variants += [f"{prefix}_{local}", f"http://purl.obolibrary.org/obo/{prefix}_{local}"]
    if MESH_ID.match(canonical):
        variants.append(f"MESH:{canonical}")
    variants.append(concept_id.strip())
    return tuple(dict.fromkeys(variants))
