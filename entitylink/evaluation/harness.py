"""Score a linker (or a baseline) on a prepared benchmark, as the SapBERT/BioSyn scripts count.

A candidate is correct when its IDs share any ID with the query's gold IDs; a query is a hit at
``k`` when every one of its parts (composite components) has a correct candidate among its first
``k``. Acc@k is hits over all queries, duplicates included; MRR uses the rank at which the query
becomes a hit (0 beyond ``k_max``).

>>> first_hit_rank([[frozenset({"D1"}), frozenset({"D2"})]], frozenset({"D2"}), 10)
2
>>> accuracy_at_k([1, 3, None], 1), round(mean_reciprocal_rank([1, 2, None]), 3)
(0.3333333333333333, 0.5)
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

from ..encoding.encoder import Encoder
from ..errors import EntityLinkError
from ..index.build import ConceptIndex, NameEncoding, build_index, library_versions
from ..index.layout import MANIFEST
from ..index.sparse_writer import add_sparse
from ..index.store import ConceptStore
from ..records import Candidate
from .benchmarks import id_set
from .protocols import Prepared
from .reports import EvaluationReport

logger = logging.getLogger(__name__)

LINK_CHUNK = 512


class Retriever(Protocol):
    """What evaluation needs of a linker: ``link`` and the other IDs of concepts."""

    def link(
        self, mentions: Sequence[str], k: int = 10, *, collapse: bool = True
    ) -> list[list[Candidate]]: ...

    def alt_ids(self, concept_ids: Iterable[str]) -> dict[str, tuple[str, ...]]: ...


def first_hit_rank(
    parts: Sequence[Sequence[frozenset[str]]], gold: frozenset[str], k_max: int
) -> int | None:
    """The smallest k at which every part has a candidate sharing an ID with ``gold``."""
    worst = 0
    for candidates in parts:
        rank = next((r for r, ids in enumerate(candidates[:k_max], 1) if ids & gold), None)
        if rank is None:
            return None
        worst = max(worst, rank)
    return worst


def accuracy_at_k(ranks: Sequence[int | None], k: int) -> float:
    """Share of queries whose rank is at most ``k`` (0.0 for no queries)."""
    return sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else 0.0


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float:
    """Mean of ``1/rank``, misses counting 0 (0.0 for no queries)."""
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def evaluate(
    system: Retriever,
    prepared: Prepared,
    *,
    system_name: str,
    k_max: int = 10,
    index: dict[str, Any] | None = None,
    progress: bool = True,
) -> tuple[EvaluationReport, list[dict[str, Any]]]:
    """Link every query part, score, and return the report with one record per miss."""
    started = time.perf_counter()
    texts = [part for query in prepared.queries for part in query.parts]
    collapse = prepared.protocol == "plain"  # the papers' scripts rank names, not concepts
    found: list[list[Candidate]] = []
    with tqdm(total=len(texts), desc="linking", unit=" queries", disable=not progress) as bar:
        for start in range(0, len(texts), LINK_CHUNK):
            found += system.link(texts[start : start + LINK_CHUNK], k=k_max, collapse=collapse)
            bar.update(min(LINK_CHUNK, len(texts) - start))
    alt = system.alt_ids({c.concept_id for cands in found for c in cands})
    ids = {c.concept_id: id_set(c.concept_id, alt.get(c.concept_id, ())) for p in found for c in p}
    ranks, misses, position = [], [], 0
    for query in prepared.queries:
        parts = found[position : position + len(query.parts)]
        position += len(query.parts)
        rank = first_hit_rank([[ids[c.concept_id] for c in p] for p in parts], query.gold, k_max)
        ranks.append(rank)
        if rank != 1:
            misses.append(_miss(query.mention.text, query.parts, query.gold, parts, prepared, rank))
    metrics = {f"acc@{k}": accuracy_at_k(ranks, k) for k in range(1, k_max + 1)}
    metrics["mrr"] = mean_reciprocal_rank(ranks)
    counts = {
        "queries": len(ranks),
        "hits@1": sum(r == 1 for r in ranks),
        "hits@5": sum(r is not None and r <= 5 for r in ranks),
        f"misses@{k_max}": sum(r is None for r in ranks),
        **{f"removed_{why}": n for why, n in prepared.removed.items()},
        "uncovered_gold_ids": len(prepared.uncovered_ids),
    }
    report = EvaluationReport(
        benchmark=prepared.benchmark,
        split=prepared.split,
        protocol=prepared.protocol,
        system=system_name,
        dictionary={
            "description": prepared.dictionary_description,
            "concepts": len(prepared.dictionary),
            "names": sum(len(c.names) for c in prepared.dictionary),
        },
        counts=counts,
        metrics=metrics,
        uncovered_ids=list(prepared.uncovered_ids),
        index=index,
        versions=library_versions(),
        seconds=round(time.perf_counter() - started, 2),
    )
    return report, misses


def dictionary_index(
    prepared: Prepared,
    encoder: Encoder,
    cache_dir: str | Path,
    *,
    batch_size: int = 128,
    progress: bool = True,
) -> ConceptIndex:
    """The protocol dictionary's index, built once per content and encoder, then reused."""
    digest = hashlib.sha256(json.dumps(encoder.config(), sort_keys=True).encode())
    for concept in prepared.dictionary:
        digest.update(json.dumps(asdict(concept)).encode())
    name = f"{prepared.protocol.split()[0]}-{digest.hexdigest()[:16]}"  # same content, same index
    path = Path(cache_dir) / name
    if (path / MANIFEST).exists():
        index = ConceptIndex.load(path)
        if index.store.has_name_keys():  # else built before name keys: built again, below
            logger.info("reusing the dictionary index %s", path)
            return index if index.sparse is not None else add_sparse(path)
    vocabulary = {"description": prepared.dictionary_description, "protocol": prepared.protocol}
    return build_index(
        prepared.dictionary,
        encoder,
        path,
        batch_size=batch_size,
        vocabulary=vocabulary,
        progress=progress,
        overwrite=True,
        sparse=True,
        encode_names=_reusing(Path(cache_dir), encoder, batch_size),
    )


def _reusing(cache_dir: Path, encoder: Encoder, batch_size: int) -> NameEncoding:
    """Fill a dictionary index's vectors, copying those of the names that another cached
    index of the same encoder already holds (the protocols' dictionaries share most names),
    and encoding the others."""

    def key(text: str) -> str:
        return text.lower() if encoder.lowercase else text

    def fill(store: ConceptStore, vectors: np.memmap[Any, Any]) -> None:
        names = store.names(0, len(vectors))
        known: dict[str, tuple[ConceptIndex, int]] = {}
        for manifest in sorted(cache_dir.glob(f"*/{MANIFEST}")):
            try:
                donor = ConceptIndex.load(manifest.parent)
            except EntityLinkError:
                continue
            if donor.manifest.encoder != encoder.config() or donor.manifest.index["spec"] != "Flat":
                continue
            for row, name in enumerate(donor.store.names(0, len(donor.vectors))):
                known.setdefault(key(name), (donor, row))
        missing = []
        for i, name in enumerate(names):
            if key(name) in known:
                donor, row = known[key(name)]
                vectors[i] = donor.vectors.index.reconstruct(row)
            else:
                missing.append(i)
        logger.info(
            "%d names' vectors copied from cached indexes, %d to encode",
            len(names) - len(missing),
            len(missing),
        )
        with tqdm(total=len(missing), desc="encoding names", unit=" names") as bar:
            for start in range(0, len(missing), 16_384):
                rows = missing[start : start + 16_384]
                vectors[rows] = encoder.encode([names[r] for r in rows], batch_size=batch_size)
                bar.update(len(rows))

    return fill


def _miss(
    mention: str,
    parts: tuple[str, ...],
    gold: frozenset[str],
    found: list[list[Candidate]],
    prepared: Prepared,
    rank: int | None,
) -> dict[str, Any]:
    return {
        "mention": mention,
        "query": list(parts),
        "gold": {i: prepared.names.get(i) for i in sorted(gold)},
        "hit_rank": rank,
        "top": [
            [
                {"id": c.concept_id, "name": c.matched_name, "score": round(c.score, 4)}
                for c in p[:5]
            ]
            for p in found
        ],
    }
