from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from entitylink.index.vector_file import gather_rows, release_rows, training_rows

from .arrays import resident_bytes, unit_vectors, written_memmap


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_release_rows_unmaps_pages_and_keeps_the_data(tmp_path: Path) -> None:
    vectors = written_memmap(tmp_path / "v.npy", 4096, 256)  # 4 MB, all resident once written
    assert resident_bytes(tmp_path / "v.npy") >= 4_000_000
    release_rows(vectors, 0, 2048)
    assert resident_bytes(tmp_path / "v.npy") <= 2_200_000
    release_rows(vectors, 2048, 4096)
    assert resident_bytes(tmp_path / "v.npy") <= 4 * 4096  # the header and edge pages
    assert np.allclose(vectors, unit_vectors(4096, 256))  # the page cache kept the data
    plain = unit_vectors(16, 8)
    release_rows(plain, 0, 16)  # not a memory map: left alone
    assert np.allclose(plain, unit_vectors(16, 8))


def test_training_rows_are_a_sorted_sample_without_a_full_permutation() -> None:
    rows = training_rows(12_000_000, 1000, seed=3)
    assert len(rows) == len(set(rows.tolist())) == 1000
    assert np.all(np.diff(rows) > 0) and rows[-1] < 12_000_000
    assert np.array_equal(rows, training_rows(12_000_000, 1000, seed=3))
    assert np.array_equal(training_rows(5, 1000), np.arange(5))


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_a_training_sample_leaves_no_vector_file_pages_resident(tmp_path: Path) -> None:
    vectors = written_memmap(tmp_path / "v.npy", 20_000, 64)
    release_rows(vectors, 0, len(vectors))
    rows = training_rows(20_000, 3_000, seed=1)
    sample = gather_rows(vectors, rows, chunk=256)
    assert np.array_equal(sample, unit_vectors(20_000, 64)[rows])
    assert resident_bytes(tmp_path / "v.npy") <= 4 * 4096
