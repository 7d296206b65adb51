"""The manifest loader fuzzed: any manifest.json text, and valid manifests with fields of the
wrong kind, load or raise IndexFormatError, never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from entitylink import IndexFormatError, IndexManifest
from entitylink.index.layout import CONCEPTS, MANIFEST, VECTORS

DIRECTORY = Path(tempfile.mkdtemp(prefix="entitylink-fuzz-"))
(DIRECTORY / VECTORS).write_bytes(b"v" * 10)
(DIRECTORY / CONCEPTS).write_bytes(b"c" * 20)
VALID: dict[str, Any] = {
    "encoder": {"model": "m", "pooling": "cls", "max_length": 25, "normalize": True, "dim": 8},
    "index": {"spec": "Flat", "metric": "inner_product", "search_params": {}},
    "counts": {"concepts": 2, "names": 3},
    "vocabulary": {"paths": ["v.tsv"], "sha256": "0" * 64},
    "files": {VECTORS: 10, CONCEPTS: 20},
    "build_seconds": 1.5,
    "versions": {"entitylink": "0.1.0"},
    "created_at": "2026-01-01T00:00:00+00:00",
    "format_version": 1,
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _read(text: str | bytes) -> None:
    path = DIRECTORY / MANIFEST
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        manifest = IndexManifest.read(DIRECTORY)
    except IndexFormatError:
        return
    assert isinstance(manifest, IndexManifest)


def test_the_valid_manifest_loads() -> None:
    _read(json.dumps(VALID))


@given(st.binary(max_size=600) | st.text(max_size=300))
def test_arbitrary_text(text: str | bytes) -> None:
    _read(text)


@given(
    changes=st.dictionaries(
        st.sampled_from([*VALID, "extra"]), JSON | st.sampled_from(["9.9.9", "x", -1]), max_size=3
    ),
    dropped=st.sets(st.sampled_from(list(VALID)), max_size=2),
)
def test_fields_of_the_wrong_kind(changes: dict[str, Any], dropped: set[str]) -> None:
    data = {k: v for k, v in {**VALID, **changes}.items() if k not in dropped}
    _read(json.dumps(data))


@given(field=st.sampled_from(["files", "versions"]), key=st.text(max_size=12), value=JSON)
def test_nested_fields_of_the_wrong_kind(field: str, key: str, value: Any) -> None:
    _read(json.dumps({**VALID, field: {**VALID[field], key: value}}))
