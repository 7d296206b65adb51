from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from entitylink import ConceptIndex, IndexFormatError
from entitylink.index.layout import VECTORS
from entitylink.index.specs import default_search_params, estimated_bytes
from entitylink.index.vector_file import release_rows
from entitylink.index.vectors import VectorIndex

from .arrays import resident_bytes, unit_vectors, written_memmap


@pytest.mark.parametrize("spec", ["Flat", "HNSW16", "IVF8,Flat", "SQ8", "IVF8,PQ8x4fs,RFlat"])
def test_approximate_specs_find_the_exact_neighbour(spec: str) -> None:
    data = unit_vectors(2000, 32)
    index = VectorIndex.create(spec, 32)
    index.fill(data)
    index = VectorIndex(index.index, default_search_params(spec))
    scores, rows = index.search(data[:50], 5)
    assert (rows[:, 0] == np.arange(50)).mean() >= 0.95
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


def test_k_larger_than_the_index_is_clamped() -> None:
    index = VectorIndex.create("Flat", 8)
    index.fill(unit_vectors(3, 8))
    scores, rows = index.search(unit_vectors(2, 8, seed=1), 10)
    assert rows.shape == (2, 3)


def test_save_load_and_mmap(tmp_path: Path) -> None:
    data = unit_vectors(100, 16)
    index = VectorIndex.create("HNSW16", 16)
    index.fill(data)
    index.save(tmp_path / "v.faiss")
    for mmap in (False, True):
        loaded = VectorIndex.load(tmp_path / "v.faiss", mmap=mmap, search_params={"efSearch": 64})
        assert len(loaded) == 100 and loaded.dim == 16
        assert loaded.search(data[:1], 1)[1][0, 0] == 0


def test_bad_spec_and_bad_parameters() -> None:
    with pytest.raises(ValueError, match="invalid FAISS factory string"):
        VectorIndex.create("NoSuchIndex", 8)
    flat = VectorIndex.create("Flat", 8)
    with pytest.raises(ValueError, match="do not fit"):
        VectorIndex(flat.index, {"nprobe": 4})


def test_estimated_bytes_match_built_indexes(tmp_path: Path) -> None:
    data = unit_vectors(5000, 32)
    for spec in ("Flat", "IVF16,SQ8", "IVF16,PQ8x4fs", "IVF16,PQ8x4fs,RFlat"):
        index = VectorIndex.create(spec, 32)
        index.fill(data)
        index.save(tmp_path / "v.faiss")
        size = (tmp_path / "v.faiss").stat().st_size
        assert abs(size - estimated_bytes(spec, 5000, 32)) / size < 0.1, spec


@pytest.mark.parametrize(
    "spec", ["Flat", "HNSW16", "IVF8,Flat", "IVF8,SQ8", "SQ8", "IVF8,PQ8x4fs,RFlat"]
)
def test_a_row_selector_filters_inside_the_search(spec: str) -> None:
    data = unit_vectors(2000, 32)
    index = VectorIndex.create(spec, 32)
    index.fill(data)
    index = VectorIndex(index.index, default_search_params(spec))
    allowed = np.arange(0, 2000, 7, dtype=np.int64)  # one row in seven
    only = index.selector(allowed)
    assert len(only) == len(allowed)
    scores, rows = index.search(data[allowed[:20]], 5, only=only)
    assert set(rows[rows >= 0].tolist()) <= set(allowed.tolist())
    assert (rows[:, 0] == allowed[:20]).mean() >= 0.9  # each allowed row finds itself
    # the index's own search parameters still apply (a selector replaces none of them)
    assert index.search(data[:5], 5)[1].shape == (5, 5)


def test_k_is_clamped_to_the_selected_rows() -> None:
    index = VectorIndex.create("Flat", 8)
    index.fill(unit_vectors(50, 8))
    only = index.selector(np.array([3, 9, 9, 70], dtype=np.int64))  # 70: outside, ignored
    scores, rows = index.search(unit_vectors(2, 8, seed=1), 10, only=only)
    assert rows.shape == (2, 2) and set(rows.ravel().tolist()) == {3, 9}


def corrupt_copy(index: ConceptIndex, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(index.path, target)
    return target


def test_a_corrupt_faiss_file_is_an_index_format_error(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    path = corrupt_copy(tiny_index, tmp_path)
    data = bytearray((path / VECTORS).read_bytes())
    data[:4] = b"XXXX"  # the FAISS index type
    (path / VECTORS).write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match=r"vectors.faiss: FAISS cannot read it .*verify"):
        ConceptIndex.load(path)


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("spec", ["Flat", "IVF16,PQ8x4fs"])
def test_fill_keeps_no_vector_file_pages_resident(tmp_path: Path, spec: str) -> None:
    """A build streams through the vector file: RSS does not grow with its size (only the
    index's codes do), whatever the number of names."""
    vectors = written_memmap(tmp_path / "v.npy", 20_000, 64)  # 5 MB; ADD_CHUNK 65,536 rows
    release_rows(vectors, 0, len(vectors))
    index = VectorIndex.create(spec, 64)
    index.fill(vectors)
    assert len(index) == 20_000
    assert resident_bytes(tmp_path / "v.npy") <= 4 * 4096  # the header and edge pages
