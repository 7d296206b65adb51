from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from entitylink import ConceptIndex, Encoder, IndexFormatError, build_index, read_vocabulary
from entitylink.index.build import reindex
from entitylink.index.checksums import verify_checksums
from entitylink.index.layout import SPARSE_FILES, SPARSE_MATRIX
from entitylink.index.sparse import DEFAULT_WEIGHT, SparseIndex
from entitylink.records import Concept
from tests.index.manifests import restamp
from tests.paths import SAMPLES

NAMES = ["asthma", "bronchial asthma", "fever", "hay fever", "gout"]


@pytest.fixture(scope="module")
def hybrid_index(tmp_path_factory: pytest.TempPathFactory, tiny_encoder: Encoder) -> ConceptIndex:
    out = tmp_path_factory.mktemp("sparse") / "hybrid"
    concepts = read_vocabulary(SAMPLES / "MRCONSO.RRF")
    return build_index(concepts, tiny_encoder, out, progress=False, sparse=True)


def test_search_ranks_by_shared_ngrams_and_pads() -> None:
    sparse = SparseIndex.build(NAMES)
    scores, rows = sparse.search(["asthmatic", "fevre", "", "xyzzy"], k=3)
    assert rows[0][:2].tolist() == [0, 1] and scores[0][0] > scores[0][1] > 0
    assert rows[1][0] == 2
    assert rows[2].tolist() == [-1, -1, -1] and np.isneginf(scores[2]).all()
    assert (rows[3] == -1).all()


def test_search_in_chunks_gives_the_same_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    sparse = SparseIndex.build(NAMES)
    texts = ["asthma", "fever", "gouty", "hay"]
    expected = sparse.search(texts, k=2)
    monkeypatch.setattr("entitylink.index.sparse.SEARCH_CELLS", 1)  # one query at a time
    for got, want in zip(sparse.search(texts, k=2), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_scores_of_given_rows_match_search() -> None:
    sparse = SparseIndex.build(NAMES)
    encoded = sparse.encode(["asthma"])
    scores, rows = sparse.search(encoded, k=2)
    np.testing.assert_allclose(sparse.scores(encoded, rows), scores, rtol=1e-6)
    assert sparse.scores(encoded, np.array([[-1]]))[0, 0] == 0.0


def test_save_and_load_give_the_same_vectors(tmp_path: Path) -> None:
    sparse = SparseIndex.build(NAMES)
    checksums = sparse.save(tmp_path)
    assert set(checksums) == set(SPARSE_FILES)
    loaded = SparseIndex.load(tmp_path, sparse.describe(), len(NAMES))
    texts = ["asthmatic", "gouty arthritis"]
    assert (loaded.encode(texts) != sparse.encode(texts)).nnz == 0
    assert not any(p.suffix == ".pkl" for p in tmp_path.iterdir())


def test_index_round_trip_records_the_sparse_files(hybrid_index: ConceptIndex) -> None:
    manifest = hybrid_index.manifest
    assert set(SPARSE_FILES) <= set(manifest.files) and set(SPARSE_FILES) <= set(manifest.checksums)
    assert manifest.index["sparse"]["weight"] == DEFAULT_WEIGHT
    verify_checksums(hybrid_index.path, manifest.checksums)
    loaded = ConceptIndex.load(hybrid_index.path, verify=True)
    assert loaded.sparse is not None and len(loaded.sparse) == manifest.counts["names"]
    assert loaded.hybrid_weight == DEFAULT_WEIGHT


def test_reindex_adds_keeps_or_drops_the_sparse_part(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    assert tiny_index.sparse is None
    added = reindex(tiny_index.path, tmp_path / "added", spec="Flat", sparse=True, progress=False)
    assert added.sparse is not None and len(added.vectors) == len(tiny_index.vectors)
    kept = reindex(added.path, tmp_path / "kept", spec="Flat", progress=False)
    assert kept.sparse is not None
    assert kept.manifest.checksums[SPARSE_MATRIX] == added.manifest.checksums[SPARSE_MATRIX]
    dropped = reindex(added.path, tmp_path / "dropped", spec="Flat", sparse=False, progress=False)
    assert dropped.sparse is None and SPARSE_MATRIX not in dropped.manifest.files


def _copy(index: ConceptIndex, target: Path) -> Path:
    shutil.copytree(index.path, target)
    return target


def test_truncated_npz_is_refused(hybrid_index: ConceptIndex, tmp_path: Path) -> None:
    copy = _copy(hybrid_index, tmp_path / "cut")
    data = (copy / SPARSE_MATRIX).read_bytes()
    (copy / SPARSE_MATRIX).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexFormatError, match=f"{SPARSE_MATRIX}.*truncated"):
        ConceptIndex.load(copy)


def test_npz_of_another_index_is_refused(
    hybrid_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path
) -> None:
    other = build_index(
        [Concept("X1", "gout"), Concept("X2", "fever")],
        tiny_encoder,
        tmp_path / "other",
        progress=False,
        sparse=True,
    )
    copy = _copy(hybrid_index, tmp_path / "mixed")
    shutil.copy(other.path / SPARSE_MATRIX, copy / SPARSE_MATRIX)
    size = (copy / SPARSE_MATRIX).stat().st_size
    restamp(copy, lambda manifest: manifest["files"].update({SPARSE_MATRIX: size}))  # sizes agree
    with pytest.raises(IndexFormatError, match="belongs to another index"):
        ConceptIndex.load(copy)


def test_garbled_npz_of_the_right_size_is_refused(
    hybrid_index: ConceptIndex, tmp_path: Path
) -> None:
    copy = _copy(hybrid_index, tmp_path / "garbled")
    size = (copy / SPARSE_MATRIX).stat().st_size
    (copy / SPARSE_MATRIX).write_bytes(b"\0" * size)
    with pytest.raises(IndexFormatError, match="unreadable sparse index"):
        ConceptIndex.load(copy)
    with pytest.raises(IndexFormatError, match="checksum"):
        ConceptIndex.load(copy, verify=True)
