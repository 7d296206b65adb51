"""Reclaiming the rows of retired concepts: the FAISS index and the concept table without them,
renumbered densely, as a new generation (:mod:`.generations`), with no encoding.

>>> compact_index("indexes/medic")                      # doctest: +SKIP

How the vectors are carried over, by spec:

- IVF with plain inverted lists (``IVF*,Flat``, ``IVF*,SQ8``, ``IVF*,PQ*``): each list's codes
  are copied as they are, without the retired ones (bit-exact, no re-assignment);
- specs that keep the full vectors (``Flat``, ``HNSW*``, ``*,RFlat``): the live vectors are
  reconstructed exactly and added to the emptied, still trained index (HNSW rebuilds its graph);
- others (``HNSW*,SQ8``...): reconstructed from their codes and encoded again, which may move a
  code by one quantisation step; a warning says so;
- fast-scan IVF lists without ``RFlat`` (``IVF*,PQ*x4fs``) are refused: FAISS crashed reading
  their codes back from a loaded index (a segmentation fault in ``reconstruct_n``).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numpy.typing import NDArray

from ..errors import IndexFormatError
from ..files import writing
from .checksums import file_checksum
from .directory import ConceptIndex
from .generations import new_generation, require_updatable, write_manifest
from .layout import CONCEPTS, VECTORS
from .retired import read_retired
from .store import ConceptStore
from .store_changes import copy_compacted
from .vectors import VectorIndex

__all__ = ["compact_index"]

logger = logging.getLogger(__name__)

CHUNK = 65_536
_faiss: Any = faiss  # the calls below use classes and methods that FAISS's stubs lack
_FULL_VECTORS = re.compile(r"(Flat|HNSW\d+(,Flat)?|IDMap,Flat|.*,RFlat|.*,Refine\(Flat\))")


def compact_index(directory: str | Path) -> ConceptIndex:
    """Write the next generation of the index at ``directory`` without its retired rows (an
    index with none is returned as it is)."""
    started = time.perf_counter()
    index = ConceptIndex.load(directory)  # in memory: its vectors are read back
    require_updatable(index)
    rows = len(index.vectors)
    retired = read_retired(index.path, rows)
    if not len(retired):
        logger.info("%s has no retired rows: nothing to compact", index.path)
        return index
    live = np.ones(rows, dtype=bool)
    live[retired] = False
    with new_generation(index) as tmp:
        with writing(index.path / CONCEPTS, inside=tmp):
            copy_compacted(index.path / CONCEPTS, ConceptStore.create(tmp / CONCEPTS))
        checksums = {CONCEPTS: file_checksum(tmp / CONCEPTS)}
        with writing(index.path / VECTORS, inside=tmp):
            compacted, how = _compacted(index.vectors.index, live, index.manifest.index["spec"])
            checksums[VECTORS] = VectorIndex(compacted).save(tmp / VECTORS)
        counts = {"concepts": index.manifest.counts["concepts"], "names": int(live.sum())}
        described = dict(index.manifest.index)
        if "trained_rows" in described:  # the lists keep their training
            described["trained_rows"] = min(int(described["trained_rows"]), counts["names"])
        write_manifest(
            index,
            tmp,
            counts=counts,
            checksums=checksums,
            changes={"rows_dropped": len(retired), "vectors": how},
            started=started,
            described=described,
        )
    return ConceptIndex.load(index.path)


def _compacted(index: Any, live: NDArray[np.bool_], spec: str) -> tuple[Any, str]:
    """A copy of ``index`` holding the ``live`` rows only, renumbered densely, and how."""
    index = _faiss.downcast_index(index)
    ivf = _faiss.try_extract_index_ivf(index) if "IVF" in spec else None
    if isinstance(index, faiss.IndexIVF) and isinstance(
        _faiss.downcast_InvertedLists(index.invlists), _faiss.ArrayInvertedLists
    ):
        return _copy_lists(index, live), "codes copied"
    if ivf is not None and not _FULL_VECTORS.fullmatch(spec):
        if isinstance(_faiss.downcast_InvertedLists(ivf.invlists), _faiss.BlockInvertedLists):
            raise IndexFormatError(  # FAISS 1.x crashes reconstructing a loaded one
                f"a {spec} index (fast-scan lists) cannot be compacted: its codes cannot be read "
                "back safely; build the index again, or use a spec with RFlat"
            )
        ivf.make_direct_map()
    new = _faiss.clone_index(index)
    new.reset()  # empty, still trained
    try:  # reconstruct_n, not reconstruct_batch: the latter crashes on fast-scan IVF lists
        for start in range(0, len(live), CHUNK):
            count = min(CHUNK, len(live) - start)
            new.add(index.reconstruct_n(start, count)[live[start : start + count]])
    except RuntimeError as exc:
        raise IndexFormatError(
            f"a {spec} index cannot give its vectors back ({exc}); compact cannot carry it "
            "over: build the index again (or reindex from a Flat one)"
        ) from exc
    if _FULL_VECTORS.fullmatch(spec):
        return new, "reconstructed exactly"
    logger.warning(
        "%s keeps approximate codes: the live vectors were decoded and encoded again, which may "
        "move a code by one quantisation step",
        spec,
    )
    return new, "re-encoded from codes"


def _copy_lists(index: Any, live: NDArray[np.bool_]) -> Any:
    """An IVF index with plain lists: its codes copied list by list, the retired ones left
    out, the others numbered by their rank among the live rows."""
    renumber = np.cumsum(live, dtype=np.int64) - 1
    new = _faiss.clone_index(index)
    new.reset()
    source = index.invlists
    target = _faiss.downcast_InvertedLists(new.invlists)
    code_size = source.code_size
    for number in range(index.nlist):
        size = source.list_size(number)
        if not size:
            continue
        ids = faiss.rev_swig_ptr(source.get_ids(number), size).copy()
        codes = faiss.rev_swig_ptr(source.get_codes(number), size * code_size).copy()
        keep = live[ids]
        kept_ids = np.ascontiguousarray(renumber[ids[keep]])
        kept_codes = np.ascontiguousarray(codes.reshape(size, code_size)[keep])
        if len(kept_ids):
            target.add_entries(
                number, len(kept_ids), faiss.swig_ptr(kept_ids), faiss.swig_ptr(kept_codes)
            )
    new.ntotal = int(live.sum())
    if index.direct_map.type != _faiss.DirectMap.NoMap:
        new.make_direct_map()
    return new
