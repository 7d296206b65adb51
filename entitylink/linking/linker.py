"""The linker: encode mentions, search the index, collapse names into concepts.

>>> linker = Linker.from_dir("indexes/sample")                          # doctest: +SKIP
>>> linker.link(["heart attack"], k=3)[0][0]                             # doctest: +SKIP
Candidate(concept_id='C0027051', name='Myocardial infarction', matched_name='heart attack', ...)
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..encoding.encoder import Encoder
from ..index.build import ConceptIndex
from ..index.sparse import DEFAULT_WEIGHT
from ..index.store import NameRow
from ..index.vectors import RowSelector
from ..records import Candidate
from . import inputs
from .compatibility import check_encoder, load_encoder
from .hybrid import hybrid_search, require_sparse, sparse_search
from .options import DEFAULT_QUERY_CACHE, LoadOptions
from .queries import LINK_BATCH, QueryVectors
from .timing import StageTimes, timed

logger = logging.getLogger(__name__)

OVERFETCH = 4  # names fetched per wanted concept, first round
MAX_FETCH = 65_536  # names fetched per mention at most
STAGES = ("encode", "search", "lookup")  # lookup: SQLite and the collapse into concepts


class Linker:
    """Link mentions to the concepts of one index directory.

    ``encoder`` must be the one the index was built with: another model or pooling is refused
    unless ``allow_mismatch=True``; another backend, dtype or quantisation is measured on a few
    names (:func:`~.compatibility.check_encoder`). ``mode`` and ``weight`` are :meth:`link`'s
    defaults (hybrid with the manifest's ``w`` when the index has a sparse part).

    Query vectors come from :class:`~.queries.QueryVectors`: a mention equal to a name of the
    index takes its stored vector (``index_vectors``), one encoded recently is cached (at most
    ``query_cache``), the encoder runs for the rest; ``linker.queries.counts`` says how many of
    each.
    """

    def __init__(
        self,
        encoder: Encoder,
        index: ConceptIndex,
        *,
        allow_mismatch: bool = False,
        mode: str | None = None,
        weight: float | None = None,
        query_cache: int = DEFAULT_QUERY_CACHE,
        index_vectors: bool = True,
    ) -> None:
        check_encoder(encoder, index, allow_mismatch=allow_mismatch)
        self.encoder, self.index = encoder, index
        # another encoder than the index's must encode every mention
        self.queries = QueryVectors(
            encoder, index, cache_size=query_cache, from_index=index_vectors and not allow_mismatch
        )
        self._selectors: dict[frozenset[str], RowSelector | None] = {}
        # link()'s defaults: hybrid with the manifest's w when the index has a sparse part
        self.mode = mode or ("hybrid" if index.sparse is not None else "dense")
        if self.mode != "dense":
            require_sparse(index, self.mode)
        self.weight = next(
            w for w in (weight, index.hybrid_weight, DEFAULT_WEIGHT) if w is not None
        )

    @classmethod
    def from_dir(
        cls, path: str | Path, options: LoadOptions | None = None, **shorthands: Any
    ) -> Linker:
        """Load an index directory and the encoder its manifest names, as ``options`` say
        (:class:`~.options.LoadOptions`; by default ONNX int8-block when installed, the FAISS
        file memory-mapped). Keywords are shorthands for its fields:
        ``Linker.from_dir(path, backend="torch")``.

        A backend or quantisation other than the index's is checked on a few names (see
        :class:`Linker`). On ONNX, neither torch nor transformers is imported once the graph is
        exported and cached (``entitylink build-index`` does it).
        """
        path = inputs.path(path, "Linker.from_dir")
        options = (options or LoadOptions()).replace(**shorthands)
        return cls._load(path, options)

    def reloaded(self, options: LoadOptions | None = None) -> Linker:
        """The linker of the index directory as it is now (a new generation, after
        ``entitylink update``), loaded as ``options`` say; this linker's encoder is kept when
        the new manifest records the same encoder and weights (no second model in memory)."""
        return self._load(self.index.path, options or LoadOptions(), keep=self)

    @classmethod
    def _load(cls, path: Path, options: LoadOptions, keep: Linker | None = None) -> Linker:
        index = ConceptIndex.load(
            path, mmap=options.mmap, search_params=options.search_params, verify=options.verify
        )
        encoder = None
        if keep is not None:
            old, new = keep.index.manifest, index.manifest
            if (old.encoder, old.encoder_identity) == (new.encoder, new.encoder_identity):
                encoder = keep.encoder
        encoder = encoder or load_encoder(index, options)
        index.vectors.threads = options.threads
        return cls(encoder, index, **options.linker_settings())

    def _type_selector(self, types: frozenset[str]) -> RowSelector | None:
        """The rows of concepts of ``types`` (cached), or None when there are none (warned once)."""
        if types not in self._selectors:
            store = self.index.store
            rows = store.rows_of_types(types)
            selector = self.index.vectors.selector(rows) if len(rows) else None
            if selector is None:
                why = (
                    "has no semantic types at all (its vocabulary gave none)"
                    if not store.has_types()
                    else f"has no concepts of type {', '.join(sorted(types)) or '(none given)'}"
                )
                logger.warning("%s %s: every mention filtered by type is NIL", self.index.path, why)
            self._selectors[types] = selector
        return self._selectors[types]

    def alt_ids(self, concept_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Other IDs of these concepts (MEDIC's OMIM numbers, OBO alt_ids), by concept."""
        return self.index.store.alt_ids(concept_ids)

    def link(
        self,
        mentions: Sequence[str],
        k: int = 10,
        *,
        threshold: float | None = None,
        types: Collection[str] | None = None,
        collapse: bool = True,
        batch_size: int = LINK_BATCH,
        mode: str | None = None,
        weight: float | None = None,
        times: StageTimes | None = None,
    ) -> list[list[Candidate]]:
        """The ``k`` best concepts for each mention, best first.

        Parameters
        ----------
        k
            Distinct concepts wanted per mention; names of one concept count once (best score).
        threshold
            Drop candidates scoring below it; a mention with none left is NIL (empty list).
        types
            Keep only concepts with at least one of these semantic types. The filter acts inside
            the vector search (only those concepts' names are searched); when the index has no
            such concept, every mention gets an empty list at once and a warning is logged.
        collapse
            One candidate per concept (default); ``False`` ranks names, as the SapBERT and
            BioSyn evaluation scripts do, so a concept may come back once per name.
        mode
            ``dense`` (the encoder and FAISS), ``sparse`` (character n-gram TF-IDF) or
            ``hybrid`` (both, scored ``dense + weight * sparse``: :mod:`.hybrid`); default:
            hybrid when the index has a sparse part, dense otherwise.
        weight
            ``w`` of hybrid mode; default: the manifest's (set by ``entitylink tune``).

        Empty or blank mentions get an empty list; mentions longer than the encoder's
        ``max_length`` are truncated. ``mentions`` is a list or tuple of ``str`` (another
        iterable is read once); a bare ``str``, a non-string element, a ``k`` that is not a whole
        number or a NaN ``threshold`` is an :class:`~entitylink.errors.InputError`
        (:mod:`.inputs`).
        """
        mentions = inputs.texts(mentions)
        k, batch_size = inputs.count(k, "k"), inputs.count(batch_size, "batch_size")
        threshold = inputs.score(threshold, "threshold")
        weight = inputs.score(weight, "weight", minimum=0.0)
        results: list[list[Candidate]] = [[] for _ in mentions]
        todo = [i for i, mention in enumerate(mentions) if mention.strip()]
        wanted = type_set(types)
        only = self._type_selector(wanted) if wanted is not None else None
        mode = mode or self.mode
        weight = self.weight if weight is None else weight
        if mode != "dense":
            require_sparse(self.index, mode)
        if not todo or (wanted is not None and only is None):
            return results
        texts = [mentions[i] for i in todo]
        with timed(times, "encode"):
            queries = (
                self.queries(texts, batch_size=batch_size)
                if mode != "sparse"
                else np.zeros((len(todo), 0), dtype=np.float32)
            )
        fetch, total = k * OVERFETCH, len(only if only is not None else self.index.vectors)
        while todo:
            fetch = min(fetch, total, MAX_FETCH)
            with timed(times, "search"):
                scores, rows = self._search(mode, queries, texts, fetch, only, weight)
            with timed(times, "lookup"):  # concept IDs of every hit, then the k kept ones
                concept_of = self.index.store.concepts_of(rows[rows >= 0].tolist())
                retry, picked = [], {}
                for position, i in enumerate(todo):
                    best = _best_hits(
                        scores[position], rows[position], concept_of, threshold, k, collapse
                    )
                    exhausted = fetch >= min(total, MAX_FETCH) or (
                        threshold is not None and float(scores[position][-1]) < threshold
                    )
                    if len(best) >= k or exhausted:
                        picked[i] = best
                    else:
                        retry.append(position)
                names = self.index.store.lookup(row for best in picked.values() for _, row in best)
                for i, best in picked.items():
                    results[i] = _candidates(best, names, wanted)
            todo = [todo[p] for p in retry]
            texts = [texts[p] for p in retry]
            queries = queries[retry]
            fetch *= OVERFETCH
        return results

    def _search(
        self,
        mode: str,
        queries: NDArray[np.float32],
        texts: list[str],
        fetch: int,
        only: RowSelector | None,
        weight: float,
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        if mode == "dense":
            return self.index.vectors.search(queries, fetch, only=only)
        if mode == "sparse":
            return sparse_search(self.index, texts, fetch)
        return hybrid_search(self.index, queries, texts, fetch, weight, only)


def type_set(types: Collection[str] | str | None) -> frozenset[str] | None:
    """The semantic types a caller asked for; one type may be given as a bare string
    (``types="T047"``), which is one type, not four characters."""
    return inputs.types(types)


def _best_hits(
    scores: NDArray[np.float32],
    rows: NDArray[np.int64],
    concept_of: dict[int, str],
    threshold: float | None,
    k: int,
    collapse: bool,
) -> list[tuple[float, int]]:
    """The first ``k`` hits (best first) as ``(score, row)``; collapsed, one per concept (its
    best-scoring name)."""
    best: list[tuple[float, int]] = []
    seen: set[str | int] = set()
    for score, row in zip(scores.tolist(), rows.tolist(), strict=True):
        if row < 0 or (threshold is not None and score < threshold):
            continue
        key = concept_of[row] if collapse else row
        if key not in seen:
            seen.add(key)
            best.append((score, row))
            if len(best) == k:
                break
    return best


def _candidates(
    hits: list[tuple[float, int]], names: dict[int, NameRow], types: frozenset[str] | None
) -> list[Candidate]:
    """Hits -> candidates; a name of a concept without one of ``types`` is left out (none
    should come: the search's selector keeps their rows out)."""
    found = []
    for score, row in hits:
        name = names[row]
        if types is None or not types.isdisjoint(name.types):
            found.append(
                Candidate(
                    concept_id=name.concept_id,
                    name=name.canonical_name,
                    matched_name=name.name,
                    score=score,
                    types=name.types,
                )
            )
    return found
