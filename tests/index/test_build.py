from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from entitylink import (
    Concept,
    ConceptIndex,
    Encoder,
    IndexExistsError,
    IndexFormatError,
    VocabularyError,
    build_index,
    read_vocabulary,
)
from entitylink.index.build import reindex
from entitylink.index.layout import CONCEPTS, MANIFEST, VECTORS
from tests.index.manifests import restamp
from tests.paths import SAMPLES

FEW = [
    Concept("C1", "Myocardial infarction", ("heart attack",)),
    Concept("C2", "Asthma", ("bronchial asthma",), ("T047",)),
]


def copy_of(index: ConceptIndex, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(index.path, target)
    return target


def edit_manifest(path: Path, **changes: object) -> None:
    """Change the manifest as a tool would, its own checksum recomputed."""
    restamp(path, lambda data: data.update(changes))


def test_manifest_records_the_build(tiny_index: ConceptIndex, tiny_encoder: Encoder) -> None:
    manifest = tiny_index.manifest
    assert manifest.format_version == 2
    assert manifest.encoder == tiny_encoder.config()
    assert manifest.index == {"spec": "Flat", "metric": "inner_product", "search_params": {}}
    assert manifest.counts == {"concepts": 300, "names": 1658}
    assert len(manifest.vocabulary["sha256"]) == 64
    assert set(manifest.versions) >= {"entitylink", "torch", "transformers", "faiss-cpu"}
    assert manifest.created_at.endswith("+00:00")
    assert sorted(p.name for p in tiny_index.path.iterdir()) == [CONCEPTS, MANIFEST, VECTORS]


def test_round_trip_vectors_match_a_fresh_encoding(
    tiny_index: ConceptIndex, tiny_encoder: Encoder
) -> None:
    loaded = ConceptIndex.load(tiny_index.path)
    names = loaded.store.names(0, 5)
    stored = np.stack([loaded.vectors.index.reconstruct(i) for i in range(5)])
    np.testing.assert_allclose(stored, tiny_encoder.encode(names), atol=1e-5)
    assert loaded.store.get("C0027051") is not None


def test_same_vocabulary_same_sha256(tmp_path: Path, tiny_encoder: Encoder) -> None:
    first = build_index(FEW, tiny_encoder, tmp_path / "a", progress=False)
    second = build_index(list(FEW), tiny_encoder, tmp_path / "b", progress=False)
    third = build_index(FEW[:1], tiny_encoder, tmp_path / "c", progress=False)
    assert first.manifest.vocabulary["sha256"] == second.manifest.vocabulary["sha256"]
    assert first.manifest.vocabulary["sha256"] != third.manifest.vocabulary["sha256"]


def test_existing_directory_needs_overwrite(tmp_path: Path, tiny_encoder: Encoder) -> None:
    out = tmp_path / "idx"
    build_index(FEW, tiny_encoder, out, progress=False)
    with pytest.raises(IndexExistsError, match="--overwrite"):
        build_index(FEW[:1], tiny_encoder, out, progress=False)
    assert ConceptIndex.load(out).manifest.counts["concepts"] == 2
    build_index(FEW[:1], tiny_encoder, out, overwrite=True, progress=False)
    assert ConceptIndex.load(out).manifest.counts["concepts"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]  # no temporary left behind


def test_approximate_spec_stores_search_params(tmp_path: Path, tiny_encoder: Encoder) -> None:
    index = build_index(
        read_vocabulary(SAMPLES / "MRCONSO.RRF"),
        tiny_encoder,
        tmp_path / "h",
        spec="HNSW16",
        progress=False,
    )
    assert index.manifest.index["search_params"] == {"efSearch": 128}
    override = ConceptIndex.load(index.path, search_params={"efSearch": 16})
    assert override.vectors.search_params == {"efSearch": 16}


def test_bad_spec_fails_before_reading(tmp_path: Path, tiny_encoder: Encoder) -> None:
    def never() -> Iterator[Concept]:
        raise AssertionError("the vocabulary was read")
        yield

    with pytest.raises(ValueError, match="invalid FAISS factory string"):
        build_index(never(), tiny_encoder, tmp_path / "x", spec="Nope", progress=False)
    with pytest.raises(ValueError, match="do not fit"):
        build_index(
            never(), tiny_encoder, tmp_path / "x", search_params={"nprobe": 8}, progress=False
        )
    assert list(tmp_path.iterdir()) == []


def test_duplicate_and_empty_vocabularies_are_refused(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    with pytest.raises(VocabularyError, match="'C1' occurs more than once"):
        build_index([*FEW, FEW[0]], tiny_encoder, tmp_path / "d", progress=False)
    with pytest.raises(VocabularyError, match="no concepts"):
        build_index([], tiny_encoder, tmp_path / "e", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_build_leaves_nothing(tmp_path: Path, tiny_encoder: Encoder) -> None:
    def interrupted() -> Iterator[Concept]:
        yield from FEW
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(interrupted(), tiny_encoder, tmp_path / "idx", progress=False)
    assert list(tmp_path.iterdir()) == []


KILLED_BUILD = """
import sys, time
from entitylink import Concept, Encoder, build_index
def slow():
    for i in range(10_000):
        time.sleep(0.01)
        yield Concept(f"C{i}", f"name {i}")
build_index(slow(), Encoder(sys.argv[1], device="cpu"), sys.argv[2], progress=False)
"""


def test_killed_build_leaves_no_loadable_index(tmp_path: Path, tiny_model_dir: Path) -> None:
    out = tmp_path / "idx"
    process = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(tiny_model_dir), str(out)])
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".idx.building-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not out.exists()
    (leftover,) = tmp_path.glob(".idx.building-*")
    with pytest.raises(IndexFormatError, match="not an index directory"):
        ConceptIndex.load(leftover)


def test_truncated_files_are_refused(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    for name in (VECTORS, CONCEPTS):
        path = copy_of(tiny_index, tmp_path / name)
        size = (path / name).stat().st_size
        with (path / name).open("r+b") as handle:
            handle.truncate(size // 2)
        with pytest.raises(IndexFormatError, match="truncated or altered"):
            ConceptIndex.load(path)


def test_missing_file_is_refused(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    path = copy_of(tiny_index, tmp_path)
    (path / VECTORS).unlink()
    with pytest.raises(IndexFormatError, match="missing"):
        ConceptIndex.load(path)


def test_mismatched_manifest_is_refused(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    path = copy_of(tiny_index, tmp_path)
    edit_manifest(path, counts={"concepts": 300, "names": 9999})
    with pytest.raises(
        IndexFormatError, match="1658 vectors, 1658 names and 300 concepts .0 rows retired., but"
    ):
        ConceptIndex.load(path)
    edit_manifest(path, counts={"concepts": 300, "names": 1658}, format_version=99)
    with pytest.raises(IndexFormatError, match="index format 99"):
        ConceptIndex.load(path)
    (path / MANIFEST).write_text("{not json")
    with pytest.raises(IndexFormatError, match="unreadable manifest"):
        ConceptIndex.load(path)


def test_dimension_mismatch_with_the_manifest(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    path = copy_of(tiny_index, tmp_path)
    data = json.loads((path / MANIFEST).read_text())
    edit_manifest(path, encoder={**data["encoder"], "dim": 768})
    with pytest.raises(IndexFormatError, match="dimension 32"):
        ConceptIndex.load(path)


def test_not_an_index_directory(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="not an index directory"):
        ConceptIndex.load(tmp_path)


def test_auto_spec_is_chosen_from_the_names_and_recorded(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    index = build_index(
        read_vocabulary(SAMPLES / "MRCONSO.RRF"),
        tiny_encoder,
        tmp_path / "a",
        spec="auto",
        memory_budget=10**9,
        progress=False,
    )
    assert index.manifest.index == {
        "spec": "Flat",
        "metric": "inner_product",
        "search_params": {},
        "chosen_by": "auto",
        "memory_budget": 10**9,
    }


def test_reindex_copies_a_flat_index_into_another_spec(
    sample_index: ConceptIndex, tmp_path: Path
) -> None:
    out = reindex(
        sample_index.path, tmp_path / "hnsw", spec="HNSW16", search_params={"efSearch": 64}
    )
    assert out.manifest.index["spec"] == "HNSW16"
    assert out.manifest.index["search_params"] == {"efSearch": 64}
    assert out.manifest.index["reindexed_from"] == str(sample_index.path)
    assert (out.manifest.encoder, out.manifest.counts) == (
        sample_index.manifest.encoder,
        sample_index.manifest.counts,
    )
    assert (out.path / CONCEPTS).read_bytes() == (sample_index.path / CONCEPTS).read_bytes()
    vectors = sample_index.vectors.index.reconstruct_n(0, len(sample_index.vectors))
    found = out.vectors.search(vectors, 1)[1][:, 0]
    assert (found == np.arange(len(vectors))).mean() > 0.95  # a name finds itself


def test_reindex_auto_and_refusals(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    auto = reindex(tiny_index.path, tmp_path / "auto", memory_budget=10**9)
    assert auto.manifest.index["spec"] == "Flat" and auto.manifest.index["chosen_by"] == "auto"
    with pytest.raises(IndexExistsError):
        reindex(tiny_index.path, tmp_path / "auto")
    sq8 = reindex(tiny_index.path, tmp_path / "sq8", spec="SQ8")
    with pytest.raises(IndexFormatError, match="keeps approximate vectors"):
        reindex(sq8.path, tmp_path / "again")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auto", "sq8"]  # nothing half-written


class HashingEncoder:
    """An encoder stand-in with the build's interface (dim, config, encode) that records how
    much of the build's vector file is resident each time it is called."""

    dim = 64

    def __init__(self) -> None:
        self.resident: list[int] = []

    def config(self) -> dict[str, object]:
        return {"model": "test:hashing", "dim": self.dim}

    def encode(self, names: list[str], batch_size: int = 128) -> np.ndarray:
        from tests.index.arrays import resident_bytes

        self.resident.append(resident_bytes(Path("vectors.npy")))
        rng = np.random.default_rng(len(self.resident))
        vectors = rng.standard_normal((len(names), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_encoding_keeps_one_chunk_of_the_vector_file_resident(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streaming: the build's RSS does not grow with the number of names (a 12M-name build's
    vector file is 18 GB at 384-d), only with the chunk and the FAISS codes."""
    monkeypatch.setattr("entitylink.index.build.ENCODE_CHUNK", 500)
    concepts = [Concept(f"C{i:05d}", f"name {i}", (f"alias {i}",)) for i in range(3000)]
    encoder = HashingEncoder()
    index = build_index(concepts, encoder, tmp_path / "i", spec="IVF8,PQ8x4fs", progress=False)  # type: ignore[arg-type]
    assert len(index.vectors) == 6000 and len(encoder.resident) == 12
    chunk = 500 * 64 * 4  # 128 KB; the whole file is 1.5 MB
    assert max(encoder.resident) <= chunk + 3 * 4096


@pytest.mark.parametrize("spec", ["Flat", "IVF8,PQ8x4fs"])
def test_the_built_faiss_index_is_freed_before_the_result_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    """Peak memory is one FAISS index, not two (at 12M names, 4.7 GB instead of 9.4)."""
    import gc
    import weakref

    from entitylink.index import build, vectors

    built: list[weakref.ref[object]] = []
    alive_at_load: list[bool] = []
    original_create, original_load = vectors.VectorIndex.create, build.ConceptIndex.load

    def create(spec: str, dim: int) -> vectors.VectorIndex:
        index = original_create(spec, dim)
        built.append(weakref.ref(index.index))
        return index

    def load(path: Path, **options: object) -> ConceptIndex:
        gc.collect()
        alive_at_load.append(any(ref() is not None for ref in built))
        return original_load(path, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(vectors.VectorIndex, "create", staticmethod(create))
    monkeypatch.setattr(build.ConceptIndex, "load", staticmethod(load))
    concepts = [Concept(f"C{i:04d}", f"name {i}") for i in range(400)]
    index = build_index(concepts, HashingEncoder(), tmp_path / "i", spec=spec, progress=False)  # type: ignore[arg-type]
    assert len(index.vectors) == 400 and built and alive_at_load == [False]
