"""Training pairs for SapBERT-style self-alignment: two names of one concept, labelled by it.

Concepts of several vocabularies are merged by normalised ID (MEDIC's ``MESH:D003920`` and
MeSH's ``D003920`` are one concept). For each concept every pair of its distinct names is kept
when there are few; beyond ``max_pairs_per_concept`` a seeded random sample is kept, as SapBERT
samples UMLS. Names are normalised as the encoder sees them (lower-cased, spaces collapsed), so
two spellings that differ only in case make no pair.

>>> concepts = [Concept("D1", "Heart attack", ("Myocardial infarction", "MI"))]
>>> [(p.first, p.second) for p in make_pairs(concepts)]
[('heart attack', 'mi'), ('heart attack', 'myocardial infarction'), ('mi', 'myocardial infarction')]
"""

from __future__ import annotations

import itertools
import logging
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..evaluation.benchmarks import id_set, load_benchmark, normalize_id
from ..records import Concept

logger = logging.getLogger(__name__)

MAX_PAIRS_PER_CONCEPT = 50


@dataclass(frozen=True, slots=True)
class Pair:
    """Two names of one concept; ``source`` says which vocabularies (or benchmark) gave it."""

    first: str
    second: str
    label: str
    source: str


def normalize_name(name: str, lowercase: bool = True) -> str:
    """A name as the encoder sees it: spaces collapsed and, by default, lower-cased."""
    name = " ".join(name.split())
    return name.lower() if lowercase else name


def concept_key(concept: Concept) -> str:
    """The label of a concept: its first normalised ID."""
    return normalize_id(concept.concept_id.split("|")[0])


def merge_names(
    sources: Iterable[tuple[str, Iterable[Concept]]], *, lowercase: bool = True
) -> dict[str, tuple[dict[str, None], set[str]]]:
    """Names (insertion-ordered, distinct) and source names of each concept label."""
    merged: dict[str, tuple[dict[str, None], set[str]]] = {}
    for source, concepts in sources:
        for concept in concepts:
            names, seen_in = merged.setdefault(concept_key(concept), ({}, set()))
            normalized = (normalize_name(n, lowercase) for n in concept.names)
            names.update(dict.fromkeys(n for n in normalized if n))
            seen_in.add(source)
    return merged


def make_pairs(
    concepts: Iterable[Concept],
    *,
    source: str = "vocabulary",
    max_pairs_per_concept: int = MAX_PAIRS_PER_CONCEPT,
    single_names: bool = False,
    seed: int = 0,
    lowercase: bool = True,
) -> list[Pair]:
    """Pairs of one vocabulary; see :func:`pairs_from_sources` for several."""
    return pairs_from_sources(
        [(source, concepts)],
        max_pairs_per_concept=max_pairs_per_concept,
        single_names=single_names,
        seed=seed,
        lowercase=lowercase,
    )


def pairs_from_sources(
    sources: Sequence[tuple[str, Iterable[Concept]]],
    *,
    max_pairs_per_concept: int = MAX_PAIRS_PER_CONCEPT,
    single_names: bool = False,
    seed: int = 0,
    lowercase: bool = True,
) -> list[Pair]:
    """Positive pairs of every concept of ``sources`` (name, concepts), deterministic in ``seed``.

    ``single_names`` keeps a concept with one name as the pair (name, name); otherwise such a
    concept gives no pair. No pair joins a name to itself otherwise.
    """
    if max_pairs_per_concept < 1:
        raise ValueError(f"max_pairs_per_concept must be at least 1, got {max_pairs_per_concept}")
    merged = merge_names(sources, lowercase=lowercase)
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for label, (names, seen_in) in merged.items():
        source = "+".join(sorted(seen_in))
        distinct = list(names)
        if len(distinct) == 1:
            if single_names:
                pairs.append(Pair(distinct[0], distinct[0], label, source))
            continue
        combos = list(itertools.combinations(sorted(distinct), 2))
        if len(combos) > max_pairs_per_concept:
            combos = rng.sample(combos, max_pairs_per_concept)
        pairs += [Pair(a, b, label, source) for a, b in combos]
    counts = Counter(p.source for p in pairs)
    logger.info(
        "%d training pairs from %d concepts (%s)",
        len(pairs),
        len(merged),
        ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())),
    )
    return pairs


def benchmark_pairs(
    benchmark: str,
    concepts: Iterable[Concept],
    *,
    split: str = "train",
    lowercase: bool = True,
) -> list[Pair]:
    """Pairs (mention, a vocabulary name of its gold concept) from a benchmark's ``split``.

    Only an explicit option adds these: they are the benchmark's own annotations. Composite and
    NIL mentions, and mentions whose gold concept is not in ``concepts``, are skipped.
    """
    if split == "test":
        raise ValueError("training on a benchmark's test split would leak it into the results")
    names: dict[str, tuple[str, str]] = {}  # any ID -> (label, preferred name)
    for concept in concepts:
        for concept_id in id_set(concept.concept_id, concept.alt_ids):
            names.setdefault(concept_id, (concept_key(concept), concept.name))
    pairs = []
    for mention in load_benchmark(benchmark, split).mentions:
        if len(mention.gold) != 1 or mention.gold[0] not in names:
            continue
        label, name = names[mention.gold[0]]
        text, name = normalize_name(mention.text, lowercase), normalize_name(name, lowercase)
        if text != name:
            pairs.append(Pair(text, name, label, f"{benchmark}:{split}"))
    logger.info("%d training pairs from %s %s mentions", len(pairs), benchmark, split)
    return pairs
