from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from entitylink import ConceptIndex, IndexFormatError
from entitylink.index.build import reindex, verify_index
from entitylink.index.checksums import HashingFile, file_checksum
from entitylink.index.layout import CONCEPTS, VECTORS
from tests.index.manifests import restamp


def copy_of(index: ConceptIndex, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(index.path, target)
    return target


def flip_byte(path: Path, offset: int) -> None:
    """Change one bit of one byte: the size stays the same."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_manifest_records_the_checksum_of_each_file(tiny_index: ConceptIndex) -> None:
    checksums = tiny_index.manifest.checksums
    assert sorted(checksums) == [CONCEPTS, VECTORS]
    for name, checksum in checksums.items():
        assert checksum.startswith("blake2b:") and len(checksum) == len("blake2b:") + 64
        assert checksum == file_checksum(tiny_index.path / name)
    assert verify_index(tiny_index.path).manifest == tiny_index.manifest


@pytest.mark.parametrize("name", [VECTORS, CONCEPTS])
@pytest.mark.parametrize("where", [0.1, 0.5, 0.99])
def test_verify_finds_one_flipped_byte(
    tiny_index: ConceptIndex, tmp_path: Path, name: str, where: float
) -> None:
    path = copy_of(tiny_index, tmp_path)
    size = (path / name).stat().st_size
    flip_byte(path / name, int(size * where))
    with pytest.raises(IndexFormatError, match=f"{name}: content differs from the manifest"):
        verify_index(path)
    with pytest.raises(IndexFormatError, match=f"{name}: content differs"):
        ConceptIndex.load(path, verify=True)


def test_a_vector_byte_flipped_loads_without_verify(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    """Without verify only the sizes are checked (fast): that is what verify is for."""
    path = copy_of(tiny_index, tmp_path)
    flip_byte(path / VECTORS, (path / VECTORS).stat().st_size // 2)
    assert len(ConceptIndex.load(path).vectors) == 1658


def test_old_index_without_checksums(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    """Loads (nothing to compare by default), but asking to verify it is an error."""
    path = copy_of(tiny_index, tmp_path)
    restamp(path, lambda data: data.pop("checksums"))
    assert ConceptIndex.load(path).manifest.checksums == {}
    with pytest.raises(IndexFormatError, match="no checksums recorded.*rebuild the index"):
        ConceptIndex.load(path, verify=True)
    with pytest.raises(IndexFormatError, match="no checksums recorded.*rebuild the index"):
        verify_index(path)


def test_reindex_records_checksums(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    out = reindex(tiny_index.path, tmp_path / "hnsw", spec="HNSW16", progress=False)
    assert out.manifest.checksums[CONCEPTS] == tiny_index.manifest.checksums[CONCEPTS]
    assert out.manifest.checksums[VECTORS] == file_checksum(out.path / VECTORS)
    verify_index(out.path)


def test_hashing_file_hashes_what_it_writes(tmp_path: Path) -> None:
    out = HashingFile(tmp_path / "f")
    out.write(b"abc")
    out.write(b"def")
    assert out.close() == file_checksum(tmp_path / "f")
    assert (tmp_path / "f").read_bytes() == b"abcdef"
