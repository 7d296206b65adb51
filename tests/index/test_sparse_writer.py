from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from entitylink import ConceptIndex, IndexFormatError
from entitylink.errors import OutputError
from entitylink.index.checksums import verify_checksums
from entitylink.index.layout import MANIFEST
from entitylink.index.sparse_writer import add_sparse, set_hybrid_weight


def test_add_sparse_in_place_and_set_the_weight(tiny_index: ConceptIndex, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny_index.path, copy)
    index = add_sparse(copy)
    assert index.sparse is not None
    verify_checksums(copy, index.manifest.checksums)
    set_hybrid_weight(copy, 0.3, {"split": "dev"})
    reloaded = ConceptIndex.load(copy)
    assert reloaded.hybrid_weight == 0.3
    assert reloaded.manifest.index["sparse"]["tuned"] == {"split": "dev"}


def test_weight_needs_a_sparse_part(tiny_index: ConceptIndex) -> None:
    with pytest.raises(IndexFormatError, match="no sparse index"):
        set_hybrid_weight(tiny_index.path, 0.3)


def test_a_failed_manifest_write_leaves_the_index_as_it_was(
    tiny_index: ConceptIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny_index.path, copy)
    add_sparse(copy)
    before = (copy / MANIFEST).read_text()
    original = Path.write_text

    def full(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith(f".{MANIFEST}."):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    message = f"no space left on device while writing {copy / MANIFEST}; removed the partial file"
    with pytest.raises(OutputError, match=re.escape(message)):
        set_hybrid_weight(copy, 0.3)
    assert (copy / MANIFEST).read_text() == before
    assert not [p for p in copy.iterdir() if p.name.startswith(".")]
