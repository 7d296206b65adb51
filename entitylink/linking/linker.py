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
from ..encoding.threads import SMALL_INPUT
from ..errors import IndexFormatError, MissingDependencyError, ModelLoadError
from ..index.build import ConceptIndex
from ..index.sparse import DEFAULT_WEIGHT
from ..index.store import NameRow
from ..index.vectors import RowSelector
from ..records import Candidate
from .hybrid import hybrid_search, require_sparse, sparse_search
from .options import LoadOptions
from .timing import StageTimes, timed

logger = logging.getLogger(__name__)

OVERFETCH = 4  # names fetched per wanted concept, first round
MAX_FETCH = 65_536  # names fetched per mention at most
STAGES = ("encode", "search", "lookup")  # lookup: SQLite and the collapse into concepts
MUST_MATCH = ("model", "pooling")  # an encoder differing in these gives meaningless vectors
# settings that change the arithmetic, not the meaning: checked by measurement, not by name
NUMERIC = ("backend", "dtype", "quantize")
DEFAULTS = {"backend": "torch", "dtype": "float32", "quantize": None}  # when not recorded
PROBES = 32  # index names re-encoded to compare vectors when a NUMERIC setting differs
# min cosine between a name's stored vector and its vector from this encoder below which
# linking warns; measured on MEDIC with MiniLM (docs/encoders.md): torch vs ONNX float32 1.00000,
# ONNX int8-block 0.9995, ONNX int8 (per channel) 0.989, torch int8 (per tensor, -0.5 Acc@1) 0.915
TOLERANCE = 0.95


class Linker:
    """Link mentions to the concepts of one index directory.

    ``encoder`` must be the one the index was built with: another model or pooling (even of
    the same dimension) gives vectors that mean nothing to the index, and is refused unless
    ``allow_mismatch=True``. A different backend, dtype or quantisation is accepted: a few of the
    index's names are re-encoded and a warning is logged only when their vectors differ from
    the stored ones beyond :data:`TOLERANCE`; other differing settings (``max_length``...) are
    logged.
    """

    def __init__(
        self,
        encoder: Encoder,
        index: ConceptIndex,
        *,
        allow_mismatch: bool = False,
        mode: str | None = None,
        weight: float | None = None,
    ) -> None:
        expected = index.manifest.encoder
        if encoder.dim != expected["dim"]:
            raise IndexFormatError(
                f"{index.path}: built with {expected['model']} (dimension {expected['dim']}), "
                f"but the encoder {encoder.model_name} has dimension {encoder.dim}"
            )
        ours, recorded = DEFAULTS | encoder.config(), DEFAULTS | expected
        differs = {k: v for k, v in ours.items() if recorded.get(k, v) != v}
        refused = {k: v for k, v in differs.items() if k in MUST_MATCH}
        if refused and not allow_mismatch:
            theirs = {k: expected.get(k) for k in refused}
            raise IndexFormatError(
                f"{index.path}: built with encoder {theirs}, but this encoder has {refused}; "
                "use the index's encoder (Linker.from_dir), or pass allow_mismatch=True"
            )
        named = {k: v for k, v in differs.items() if k not in NUMERIC}
        if named:
            logger.warning("encoder settings %s differ from the index's %s", named, expected)
        self.encoder, self.index = encoder, index
        if len(named) < len(differs):
            self._check_vectors({k: v for k, v in differs.items() if k in NUMERIC})
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
        options = (options or LoadOptions()).replace(**shorthands)
        index = ConceptIndex.load(
            path, mmap=options.mmap, search_params=options.search_params, verify=options.verify
        )
        try:
            encoder = _load_encoder(index.manifest.encoder, options)
        except ModelLoadError as exc:
            cause = str(exc.__cause__ or exc).splitlines()[0]
            raise ModelLoadError(
                f"{index.path}: cannot load {index.manifest.encoder['model']!r}, the encoder this "
                f"index was built with ({cause}). Make that model available under the same name "
                "(a local directory at that path, or the Hugging Face hub reachable), or rebuild "
                "the index from the vocabulary with a local model directory (entitylink "
                "build-index VOCAB --model DIR --out INDEX)"
            ) from exc
        index.vectors.threads = options.threads
        return cls(encoder, index, mode=options.mode, weight=options.weight)

    def _check_vectors(self, differs: dict[str, object]) -> None:
        """Warn when this encoder's vectors of some index names differ from the stored ones."""
        vectors, total = self.index.vectors, len(self.index.vectors)
        rows = sorted({int(r) for r in np.linspace(0, total - 1, min(PROBES, total))})
        try:
            stored = np.vstack([vectors.index.reconstruct(r) for r in rows])
        except RuntimeError:  # an IVF index without a direct map: nothing to compare with
            logger.info("%s: cannot read stored vectors back to compare encoders", self.index.path)
            return
        names = self.index.store.lookup(rows)
        texts = [names[r].name for r in rows]
        # in small batches, on the one-thread session of single mentions: loading must not also
        # create (and hold) the batch session, with its own packed weights (~80 MB, int8-block)
        fresh = np.vstack(
            [
                self.encoder.encode(texts[i : i + SMALL_INPUT])
                for i in range(0, len(texts), SMALL_INPUT)
            ]
        )
        norms = np.linalg.norm(stored, axis=1) * np.linalg.norm(fresh, axis=1)
        cosine = float(((stored * fresh).sum(1) / np.maximum(norms, 1e-12)).min())
        expected = {k: (DEFAULTS | self.index.manifest.encoder).get(k) for k in differs}
        if cosine < TOLERANCE:
            logger.warning(
                "%s: built with encoder settings %s, linking with %s: vectors of the same names "
                "differ (min cosine %.4f < %.2f); results may differ from the index's encoder",
                self.index.path,
                expected,
                differs,
                cosine,
                TOLERANCE,
            )
        else:
            logger.debug(
                "encoder %s against the index's %s: min cosine %.5f", differs, expected, cosine
            )

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
        batch_size: int = 128,
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
        ``max_length`` are truncated.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
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
                self.encoder.encode(texts, batch_size=batch_size)
                if mode != "sparse"
                else np.zeros((len(todo), 0), dtype=np.float32)
            )
        fetch, total = k * OVERFETCH, len(only if only is not None else self.index.vectors)
        while todo:
            fetch = min(fetch, total, MAX_FETCH)
            with timed(times, "search"):
                scores, rows = self._search(mode, queries, texts, fetch, only, weight)
            with timed(times, "lookup"):
                names = self.index.store.lookup(rows[rows >= 0].tolist())
                retry = []
                for position, i in enumerate(todo):
                    found = _candidates(
                        scores[position], rows[position], names, threshold, wanted, collapse
                    )
                    exhausted = fetch >= min(total, MAX_FETCH) or (
                        threshold is not None and scores[position][-1] < threshold
                    )
                    if len(found) >= k or exhausted:
                        results[i] = found[:k]
                    else:
                        retry.append(position)
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


def _load_encoder(config: dict[str, Any], options: LoadOptions) -> Encoder:
    """The index's encoder, run as ``options`` say; ``backend="auto"`` falls back to torch
    when the model cannot be exported to ONNX (a slow tokenizer, an unusual architecture)."""
    settings = options.encoder_settings()
    try:
        return Encoder.from_config(config, **settings)
    except (ModelLoadError, MissingDependencyError, RuntimeError) as exc:
        if options.backend != "auto" or settings["backend"] != "onnx":
            raise
        logger.warning("ONNX cannot run %s (%s); linking with torch", config["model"], exc)
        return Encoder.from_config(config, **options.replace(backend="torch").encoder_settings())


def type_set(types: Collection[str] | str | None) -> frozenset[str] | None:
    """The semantic types a caller asked for; one type may be given as a bare string
    (``types="T047"``), which is one type, not four characters."""
    if types is None:
        return None
    return frozenset((types,) if isinstance(types, str) else types)


def _candidates(
    scores: NDArray[np.float32],
    rows: NDArray[np.int64],
    names: dict[int, NameRow],
    threshold: float | None,
    types: frozenset[str] | None,
    collapse: bool,
) -> list[Candidate]:
    """Hits (best first) -> candidates; collapsed, one per concept with its best-scoring name."""
    best: dict[str | int, Candidate] = {}
    for score, row in zip(scores.tolist(), rows.tolist(), strict=True):
        if row < 0 or (threshold is not None and score < threshold):
            continue
        name = names[row]
        key = name.concept_id if collapse else row
        if key in best or (types is not None and types.isdisjoint(name.types)):
            continue
        best[key] = Candidate(
            concept_id=name.concept_id,
            name=name.canonical_name,
            matched_name=name.name,
            score=score,
            types=name.types,
        )
    return list(best.values())
