"""Cheap checks on every load: stored vectors of norm 1, no score above 1, --verify strict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from entitylink import ConceptIndex, Encoder, IndexFormatError, Linker
from entitylink.index.build import reindex
from entitylink.index.directory import NORM_PROBES
from entitylink.index.layout import MANIFEST, VECTORS
from tests.index.manifests import copy_index, restamp


def probed_rows(total: int) -> set[int]:
    count = min(NORM_PROBES, total)
    return {(total - 1) * i // max(count - 1, 1) for i in range(count)}


def flip_exponent(path: Path, row: int, stored: np.ndarray) -> int:
    """Flip one exponent bit (0x40 of the high byte) of the largest positive component of
    ``row``, the same size on disk: that component becomes ~1e37. Returns the component."""
    data = bytearray((path / VECTORS).read_bytes())
    start = data.find(stored[row].astype(np.float32).tobytes())
    assert start > 0
    component = int(np.argmax(stored[row]))
    data[start + 4 * component + 3] ^= 0x40
    (path / VECTORS).write_bytes(bytes(data))
    return component


@pytest.fixture
def stored(tiny_index: ConceptIndex) -> np.ndarray:
    return tiny_index.vectors.index.reconstruct_n(0, len(tiny_index.vectors))


def test_a_flipped_exponent_in_a_probed_vector_fails_the_load(
    tiny_index: ConceptIndex, tmp_path: Path, stored: np.ndarray
) -> None:
    copy = copy_index(tiny_index, tmp_path / "copy")
    flip_exponent(copy, 0, stored)  # row 0 is always probed
    assert (copy / VECTORS).stat().st_size == (tiny_index.path / VECTORS).stat().st_size
    with pytest.raises(IndexFormatError, match="stored vector 0 has norm .*entitylink verify"):
        ConceptIndex.load(copy)


def test_a_flipped_exponent_elsewhere_fails_the_first_search_that_meets_it(
    tiny_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path, stored: np.ndarray
) -> None:
    row = next(r for r in range(1, len(stored)) if r not in probed_rows(len(stored)))
    copy = copy_index(tiny_index, tmp_path / "copy")
    flip_exponent(copy, row, stored)
    index = ConceptIndex.load(copy)  # not probed: the load cannot see it
    with pytest.raises(IndexFormatError, match=r"scored .*e\+\d+, but the index holds unit"):
        index.vectors.search(stored[row : row + 1], 5)
    name = index.store.lookup([row])[row].name
    with pytest.raises(IndexFormatError, match="run entitylink verify"):
        Linker(tiny_encoder, index).link([name])
    with pytest.raises(IndexFormatError, match="content differs from the manifest"):
        ConceptIndex.load(copy, verify=True)


def test_scores_of_a_sound_index_pass(tiny_index: ConceptIndex, stored: np.ndarray) -> None:
    scores, rows = tiny_index.vectors.search(stored[:50], 3)
    assert (rows[:, 0] >= 0).all() and float(scores.max()) <= 1.0 + 1e-5
    assert tiny_index.vectors.score_limit == pytest.approx(1.05)


def test_verify_without_checksums_is_an_error(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    copy = copy_index(tiny_index, tmp_path / "copy")
    restamp(copy, lambda d: d.update(checksums={}))
    assert ConceptIndex.load(copy).manifest.checksums == {}
    with pytest.raises(IndexFormatError, match="no checksums recorded"):
        ConceptIndex.load(copy, verify=True)


def test_checksums_deleted_by_hand_are_an_edited_manifest(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    copy = copy_index(tiny_index, tmp_path / "copy")
    data = json.loads((copy / MANIFEST).read_text())
    del data["checksums"]
    (copy / MANIFEST).write_text(json.dumps(data))
    for verify in (False, True):
        with pytest.raises(IndexFormatError, match="differs from its own checksum"):
            ConceptIndex.load(copy, verify=verify)


def test_approximate_codes_get_a_looser_bound(
    tiny_index: ConceptIndex, tmp_path: Path, stored: np.ndarray
) -> None:
    """SQ and PQ codes overshoot 1 a little (SQ4: 1.02 on the sample): not damage."""
    index = reindex(tiny_index.path, tmp_path / "sq4", spec="SQ4", progress=False)
    assert index.vectors.score_limit == pytest.approx(1.5)
    scores, _ = index.vectors.search(stored, 1)
    assert float(scores.max()) <= 1.5
