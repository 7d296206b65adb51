"""Evaluation protocols: which queries a benchmark yields and which dictionary they search.

- ``sapbert`` follows the SapBERT/BioSyn scripts (see ``../shared/EVAL_PROTOCOL.md``): abbreviations
  resolved from the document, composite mentions split, lower-casing, punctuation removal and (NCBI)
  typo fixes; the dictionary is the vocabulary's normalised names plus the train and dev mentions,
  one entry per distinct name with the union of its IDs; mentions whose gold ID is not in the
  vocabulary (or is ``-1``) are removed and counted; names are ranked, not concepts.
- ``plain``: every gold mention once, as written, searched in the vocabulary as read; uncovered
  gold IDs stay as misses and are counted; NIL (``-1``) mentions are removed and counted.

>>> prepared = prepare("ncbi-disease", "sapbert")                       # doctest: +SKIP
>>> len(prepared.queries), prepared.removed                             # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..records import Concept, Mention
from ..vocabularies import read_vocabulary
from .benchmarks import BENCHMARKS, Benchmark, data_root, id_set, load_benchmark
from .preprocess import (
    find_abbreviations,
    load_typos,
    normalize_text,
    resolve_abbreviations,
    split_composite,
)

PROTOCOLS = ("sapbert", "plain")


@dataclass(frozen=True, slots=True)
class Query:
    """What is searched for one test mention: one text per component, and the gold IDs."""

    parts: tuple[str, ...]
    gold: frozenset[str]
    mention: Mention


@dataclass(frozen=True)
class Prepared:
    """A benchmark split made ready for one protocol: queries, dictionary, what was removed."""

    benchmark: str
    split: str
    protocol: str
    queries: tuple[Query, ...]
    dictionary: tuple[Concept, ...]
    dictionary_description: str
    removed: dict[str, int] = field(default_factory=dict)
    uncovered_ids: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # gold ID -> a vocabulary name


def concept_ids(concept: Concept) -> frozenset[str]:
    """All normalised IDs of a concept: its ID (``|``-joined IDs split) and its ``alt_ids``."""
    return id_set(concept.concept_id, concept.alt_ids)


def _vocabulary(paths: Sequence[Path]) -> list[Concept]:
    return list(itertools.chain.from_iterable(read_vocabulary(p) for p in paths))


def _sapbert_queries(
    bench: Benchmark, typos: dict[str, str] | None, resolve: bool = True
) -> list[tuple[tuple[str, ...], tuple[str, ...], Mention]]:
    """BioSyn's query preprocessing: abbreviations, composites, text normalisation."""
    out = []
    documents = bench.documents if resolve else {}
    abbreviations = {doc: find_abbreviations(text) for doc, text in documents.items()}
    for mention in bench.mentions:
        found = abbreviations.get(mention.doc_id or "", {})
        if mention.components and len(mention.components) == len(mention.gold):
            parts, ids = mention.components, mention.gold
            parts = tuple(resolve_abbreviations(p, found) for p in parts)
        else:
            parts, ids = split_composite(resolve_abbreviations(mention.text, found), mention.gold)
        out.append((tuple(normalize_text(p, typos) for p in parts), ids, mention))
    return out


def _dictionary(entries: Iterable[tuple[str, Iterable[str]]]) -> tuple[Concept, ...]:
    """Distinct names with the union of their IDs -> one concept per distinct ID set."""
    ids_of_name: dict[str, dict[str, None]] = {}
    for name, ids in entries:
        if name:
            ids_of_name.setdefault(name, {}).update(dict.fromkeys(ids))
    by_ids: dict[str, list[str]] = {}
    for name, ids in ids_of_name.items():
        by_ids.setdefault("|".join(ids), []).append(name)
    return tuple(Concept(key, names[0], tuple(names[1:])) for key, names in by_ids.items())


def prepare(
    benchmark: str | Path,
    protocol: str = "sapbert",
    *,
    split: str = "test",
    vocabulary: Sequence[str | Path] | None = None,
    abbreviations: bool = True,
) -> Prepared:
    """Queries and dictionary of a benchmark split under a protocol.

    ``vocabulary`` defaults to the benchmark's own (MEDIC for diseases, MeSH for chemicals); a
    benchmark given as a file needs it. The ``sapbert`` dictionary adds the train and dev
    mentions only for named benchmarks, which have those splits. ``abbreviations=False`` leaves
    the test queries' abbreviations unresolved (the dictionary is unchanged): an ablation that
    shows how much the abbreviation step moves the figures.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
    spec = BENCHMARKS.get(str(benchmark))
    if vocabulary is None:
        if spec is None:
            raise ValueError(f"{benchmark}: a benchmark file needs a vocabulary (--vocab)")
        vocabulary = [data_root() / v for v in spec.vocabulary]
    paths = [Path(v) for v in vocabulary]
    concepts = _vocabulary(paths)
    covered = frozenset().union(*map(concept_ids, concepts))
    names = {i: c.name for c in concepts for i in concept_ids(c)}
    test = load_benchmark(benchmark, split)
    described = " + ".join(p.name for p in paths)
    if protocol == "plain":
        plain = [m for m in test.mentions if m.gold != ("-1",)]
        uncovered = set().union(*(set(m.gold) - covered for m in plain))
        return Prepared(
            test.name,
            split,
            protocol,
            tuple(Query((m.text,), frozenset(m.gold), m) for m in plain),
            tuple(concepts),
            described,
            {"nil": len(test.mentions) - len(plain)},
            tuple(sorted(uncovered)),
            names,
        )
    typos = load_typos(data_root() / spec.typos) if spec and spec.typos else None
    kept, nil, missing = _covered(_sapbert_queries(test, typos, abbreviations), covered)
    queries = [Query(parts, frozenset(ids), m) for parts, ids, m in kept]
    entries: list[tuple[str, tuple[str, ...]]] = [
        (normalize_text(n), tuple(sorted(concept_ids(c)))) for c in concepts for n in c.names
    ]
    if spec is not None and split == "test":
        for other in ("train", "dev"):
            seen, _, _ = _covered(
                _sapbert_queries(load_benchmark(benchmark, other), typos), covered
            )
            for parts, ids, _ in seen:
                pairs = zip(parts, ids, strict=True) if len(parts) == len(ids) else []
                entries += [(p, (i,)) for p, i in pairs] or [(parts[0], ids)]
        described += " + train and dev mentions"
    if not abbreviations:
        protocol += " (test abbreviations unresolved)"
    return Prepared(
        test.name,
        split,
        protocol,
        tuple(queries),
        _dictionary(entries),
        described,
        {"nil": nil, "uncovered": len(missing)},
        tuple(sorted(set().union(*missing))),
        names,
    )


def _covered(
    items: list[tuple[tuple[str, ...], tuple[str, ...], Mention]], covered: frozenset[str]
) -> tuple[list[tuple[tuple[str, ...], tuple[str, ...], Mention]], int, list[set[str]]]:
    """Drop NIL mentions and those with a gold ID outside the vocabulary, as BioSyn does."""
    kept, nil, missing = [], 0, []
    for parts, ids, mention in items:
        if ids == ("-1",):
            nil += 1
        elif not set(ids) <= covered:
            missing.append(set(ids) - covered)
        else:
            kept.append((parts, ids, mention))
    return kept, nil, missing
