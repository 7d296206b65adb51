"""Changing an index without a rebuild: add concepts and names, retire concepts, as a new
generation of the directory (:mod:`.generations`).

>>> from entitylink import read_vocabulary
>>> update_index("indexes/medic", read_vocabulary("local.tsv"))               # doctest: +SKIP
>>> update_index("indexes/medic", remove=["MESH:D003920"])                   # doctest: +SKIP

Only the new names are encoded, with the encoder the manifest records (or the one given, whose
settings must match). New names take the rows after the last; FAISS adds their vectors to the
index as it is (IVF: to their nearest existing lists, no training). A retired concept's names
leave the concept table and their vector rows are listed in ``retired.npy``, which every search
skips; ``entitylink compact`` (:mod:`.compact`) removes them for good.

A concept already in the index: its new names are added to it (``replace=False``), or the
concept's record and names become the new ones (``replace=True``: names it keeps keep their
rows and vectors, names it lost are retired, new ones are added).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from ..encoding.encoder import Encoder
from ..encoding.tokens import text_key
from ..errors import IndexFormatError, VocabularyError
from ..files import writing
from ..records import Concept
from .build import NameEncoding, encode_store, encoder_identity
from .checksums import file_checksum
from .directory import ConceptIndex
from .generations import fast_copy, new_generation, require_updatable, write_manifest
from .layout import CONCEPTS, ENCODED, RETIRED, VECTORS
from .retired import read_retired, write_retired
from .store import ConceptStore
from .store_changes import add_names, names_of, replace_records, retire_concepts, retire_rows
from .store_writer import CONCEPT_BATCH
from .vectors import VectorIndex

__all__ = ["RETRAIN_SHARE", "update_index"]

logger = logging.getLogger(__name__)

ADDED = "added.sqlite"  # update only: the new names, rows from 0, for the encoder
# IVF lists are trained once; warn when the vectors added since pass this share of those they
# were trained on (a chosen threshold, not a measured one: see docs/index-format.md)
RETRAIN_SHARE = 0.25
_ENCODER_KEYS = ("model", "pooling", "max_length", "normalize", "lowercase", "dim")


@dataclass
class _Changes:
    """What an update did to the concept table (the manifest's ``changes``)."""

    next_row: int
    retired: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("concepts_added", "names_added", "concepts_retired", "names_retired"), 0
        )
    )


def update_index(
    directory: str | Path,
    add: Iterable[Concept] = (),
    *,
    remove: Iterable[str] = (),
    replace: bool = False,
    encoder: Encoder | None = None,
    encode_names: NameEncoding | None = None,
    batch_size: int = 128,
    progress: bool = True,
    vocabulary: Mapping[str, Any] | None = None,
) -> ConceptIndex:
    """Write the next generation of the index at ``directory``: ``add`` concepts (or names of
    concepts it has), retire the concepts whose IDs are in ``remove``.

    Parameters
    ----------
    replace
        A concept of ``add`` that the index has replaces the stored one (record and names);
        otherwise only its names the index lacks are added to it.
    encoder
        Encodes the new names; default: ``Encoder.from_config`` of the manifest's encoder. One
        given must have the manifest's settings (model, pooling, dimension...).
    encode_names
        As :func:`~entitylink.index.build.build_index`'s hook: fills the vectors of the new
        names (the store it is given holds those names only, from row 0).
    vocabulary
        Description of what was added (paths, format), recorded in the manifest's ``changes``.
    """
    started = time.perf_counter()
    index = ConceptIndex.load(directory, mmap=True)
    require_updatable(index)
    rows_before = len(index.vectors)
    with new_generation(index) as tmp:
        with writing(index.path / CONCEPTS, inside=tmp):
            fast_copy(index.path / CONCEPTS, tmp / CONCEPTS)
            store = ConceptStore(tmp / CONCEPTS, readonly=False)
            try:
                changes = _change_table(store, add, set(remove), replace, rows_before)
                if store.has_name_keys():  # the new names' keys, as the build's encoder reads
                    lowercase = bool(index.manifest.encoder.get("lowercase", True))
                    store.add_name_keys(partial(text_key, lowercase=lowercase), since=rows_before)
                concepts, _ = store.counts()
            finally:
                store.close()
        checksums = {CONCEPTS: file_checksum(tmp / CONCEPTS)}
        added = changes.next_row - rows_before
        with writing(index.path / VECTORS, inside=tmp):
            if added:
                encoder = encoder or _encoder_of(index)
                _check_encoder(index, encoder)
                checksums[VECTORS] = _append_vectors(
                    index, tmp, encoder, (rows_before, added), batch_size, progress, encode_names
                )
            else:  # the FAISS file is unchanged: copied, its checksum kept
                fast_copy(index.path / VECTORS, tmp / VECTORS)
                checksums[VECTORS] = index.manifest.checksums[VECTORS]
        retired = np.union1d(read_retired(index.path, rows_before), changes.retired)
        if len(retired):
            checksums[RETIRED] = write_retired(tmp, retired.astype(np.int64))
        rows = changes.next_row
        notes = _retrain_note(index, rows)
        write_manifest(
            index,
            tmp,
            counts={"concepts": concepts, "names": rows - len(retired), "rows": rows},
            checksums=checksums,
            changes={
                **changes.counts,
                **notes,
                **({"added_from": dict(vocabulary)} if vocabulary else {}),
            },
            started=started,
            described={**index.manifest.index, **_trained_rows(index, rows_before)},
        )
    return ConceptIndex.load(index.path)


def _change_table(
    store: ConceptStore, add: Iterable[Concept], remove: set[str], replace: bool, first_row: int
) -> _Changes:
    """Retire ``remove``, then store ``add`` batch by batch; new names take rows from
    ``first_row`` on, in order."""
    changes = _Changes(next_row=first_row)
    found = names_of(store, remove)
    if unknown := sorted(remove - found.keys()):
        logger.warning("%d IDs to remove are not in the index: %s", len(unknown), unknown[:5])
    changes.retired += retire_concepts(store, found).tolist()
    changes.counts["concepts_retired"] = len(found)
    seen: set[str] = set()
    stream = iter(add)
    while batch := list(islice(stream, CONCEPT_BATCH)):
        for concept in batch:
            if concept.concept_id in seen:
                raise VocabularyError(f"concept ID {concept.concept_id!r} occurs more than once")
            seen.add(concept.concept_id)
        _add_batch(store, batch, replace, changes)
    changes.counts["names_retired"] = len(changes.retired)
    return changes


def _add_batch(store: ConceptStore, batch: list[Concept], replace: bool, changes: _Changes) -> None:
    stored = names_of(store, (c.concept_id for c in batch))
    fresh = [c for c in batch if c.concept_id not in stored]
    before = changes.next_row
    changes.next_row = store.add(fresh, changes.next_row) if fresh else changes.next_row
    pairs: list[tuple[str, str]] = []
    dropped: list[int] = []
    replaced = [c for c in batch if c.concept_id in stored] if replace else []
    for concept in batch:
        old = stored.get(concept.concept_id)
        if old is None:
            continue
        had = {name for _, name in old}
        pairs += [(concept.concept_id, n) for n in dict.fromkeys(concept.names) if n not in had]
        if replace:
            keep = set(concept.names)
            dropped += [row for row, name in old if name not in keep]
    retire_rows(store, dropped)
    replace_records(store, replaced)
    changes.retired += dropped
    changes.next_row = add_names(store, pairs, changes.next_row)
    changes.counts["concepts_added"] += len(fresh)
    changes.counts["names_added"] += changes.next_row - before
    changes.counts["concepts_replaced"] = changes.counts.get("concepts_replaced", 0) + len(replaced)


def _append_vectors(
    index: ConceptIndex,
    tmp: Path,
    encoder: Encoder,
    span: tuple[int, int],
    batch_size: int,
    progress: bool,
    encode_names: NameEncoding | None,
) -> str:
    """Encode the ``span = (first row, count)`` new names into ``tmp``, add their vectors to a
    copy of the FAISS index and save it there; returns its checksum."""
    first, count = span
    added = ConceptStore.create(tmp / ADDED)
    try:
        source = ConceptStore(tmp / CONCEPTS)
        for start in range(first, first + count, CONCEPT_BATCH):
            rows = source.concept_names(start, min(first + count, start + CONCEPT_BATCH))
            add_names(added, [(cid, name) for _, cid, name in rows], start - first)
        source.close()
        vectors = encode_store(
            added, encoder, tmp / ENCODED, count, batch_size, progress, encode_names
        )
    finally:
        added.close()
    faiss_index = VectorIndex.load(index.path / VECTORS)  # in memory: FAISS adds to it
    faiss_index.fill(vectors)
    del vectors
    (tmp / ENCODED).unlink()
    (tmp / ADDED).unlink()
    return faiss_index.save(tmp / VECTORS)


def _encoder_of(index: ConceptIndex) -> Encoder:
    """The encoder that built the index, as its manifest records it (the build's settings)."""
    return Encoder.from_config(index.manifest.encoder)


def _check_encoder(index: ConceptIndex, encoder: Encoder) -> None:
    """Refuse an encoder whose settings or weights differ from those that built the index."""
    given = encoder.config()
    recorded = index.manifest.encoder
    differ = [k for k in _ENCODER_KEYS if k in recorded and given.get(k) != recorded[k]]
    identity = index.manifest.encoder_identity.get("weights")
    if identity and encoder_identity(encoder).get("weights", identity) != identity:
        differ.append("weights")
    if differ:
        raise IndexFormatError(
            f"{index.path}: the encoder differs from the one that built the index in "
            f"{', '.join(differ)}; new names must be encoded alike (omit the encoder to use the "
            "manifest's)"
        )


def _trained_rows(index: ConceptIndex, rows_before: int) -> dict[str, int]:
    """``trained_rows`` for an IVF index: the vectors its lists were trained with."""
    if "IVF" not in index.manifest.index["spec"]:
        return {}
    return {"trained_rows": int(index.manifest.index.get("trained_rows", rows_before))}


def _retrain_note(index: ConceptIndex, rows: int) -> dict[str, Any]:
    """Warn (and note) when an IVF index grew past :data:`RETRAIN_SHARE` since its training."""
    trained = _trained_rows(index, len(index.vectors)).get("trained_rows")
    if not trained:
        return {}
    share = (rows - trained) / trained
    if share <= RETRAIN_SHARE:
        return {}
    logger.warning(
        "%s: %.0f%% of its vectors were added after its IVF lists were trained (over %.0f%%): "
        "retrain advised (entitylink reindex from a Flat index, or build-index again)",
        index.path,
        100 * share,
        100 * RETRAIN_SHARE,
    )
    return {"retrain_advised": True}
