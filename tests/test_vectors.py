from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from entitylink.vectors import VectorIndex, default_search_params


def unit_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("spec", ["Flat", "HNSW16", "IVF8,Flat", "SQ8"])
def test_approximate_specs_find_the_exact_neighbour(spec: str) -> None:
    data = unit_vectors(2000, 32)
    index = VectorIndex.create(spec, 32)
    index.fill(data)
    index = VectorIndex(index.index, {"nprobe": 8} if "IVF" in spec else {})
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


def test_default_search_params() -> None:
    assert default_search_params("Flat") == {}
    assert default_search_params("HNSW32") == {"efSearch": 128}
    assert default_search_params("IVF4096,SQ8") == {"nprobe": 512}
    assert default_search_params("IVF1024,SQ8") == {"nprobe": 128}
    assert default_search_params("IVF8,Flat") == {"nprobe": 8}
