"""Fuzzed vocabulary readers: arbitrary bytes, and valid files with damage done to them, give
concepts or a VocabularyError, never another exception and never a hang (the profile's
``deadline``; see tests/conftest.py for the ``ci`` and ``long`` profiles)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import tempfile
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from entitylink import Concept, VocabularyError, read_vocabulary
from entitylink.vocabularies import FORMATS
from tests.vocabularies.snippets import (
    CTD_TEXT,
    HPO_OBO,
    MEDIC_LINES,
    MESH_DESCRIPTOR_LINES,
    MONDO_JSON,
    OBO_GRAPH,
    SCISPACY_JSON,
    VOCAB_TSV_LINES,
    XMEN_JSONL_LINES,
    XMEN_MRCONSO,
    lines,
)

# a valid file of each format, named as the format expects
VALID = {
    "rrf": ("MRCONSO.RRF", lines(*XMEN_MRCONSO)),
    "obo": ("hp.obo", HPO_OBO),
    "obojson": ("hp.json", json.dumps(OBO_GRAPH)),
    "biosyn": ("medic.txt", lines(*MEDIC_LINES)),
    "ctd": ("CTD_diseases.tsv", CTD_TEXT),
    "mesh": ("mesh.tsv", lines(*MESH_DESCRIPTOR_LINES)),
    "tsv": ("vocab.tsv", lines(*VOCAB_TSV_LINES)),
    "csv": ("vocab.csv", "concept_id,name,synonyms\nC1,asthma,wheezing|reactive airway\n"),
    "jsonl": ("vocab.jsonl", lines(*XMEN_JSONL_LINES)),
}
EXTRA = {"obojson": ("mondo.json", MONDO_JSON), "jsonl": ("umls.json", SCISPACY_JSON)}
SCRATCH = Path(tempfile.mkdtemp(prefix="entitylink-fuzz-"))
# bytes that break formats: separators, quotes, brackets, control and non-UTF-8 bytes
NASTY = st.sampled_from(
    [b"|", b"||", b"\t", b"\n", b"\r", b":", b'"', b"\\", b"[", b"]", b"{", b"}", b",", b"!"]
    + [b"\x00", b"\x1b", b"\x7f", b"\xc2\x85", b"\xff", b"\xe2\x80", b"\xef\xbb\xbf", b"#"]
)


def _read(name: str, data: bytes, fmt: str | None, strict: bool) -> list[Concept]:
    path = SCRATCH / name
    path.write_bytes(data)
    try:
        return list(read_vocabulary(path, fmt, strict=strict))
    except VocabularyError:
        return []


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, str, bytes]:
    """A valid file of some format with a few edits: bytes inserted, cut out or repeated."""
    fmt = draw(st.sampled_from(sorted(VALID)))
    name, text = draw(st.sampled_from([VALID[fmt], *([EXTRA[fmt]] if fmt in EXTRA else [])]))
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "repeat", "truncate"]))
        if action == "insert":
            data[at:at] = draw(NASTY | st.binary(max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 80))]
        else:
            del data[at:]
    return fmt, name, bytes(data)


def _compress(kind: str, name: str, data: bytes) -> tuple[str, bytes]:
    if kind == "gz":
        return name + ".gz", gzip.compress(data)
    if kind == "bz2":
        return name + ".bz2", bz2.compress(data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return name + ".zip", buffer.getvalue()


@given(fmt=st.sampled_from(sorted(FORMATS)), data=st.binary(max_size=2000), strict=st.booleans())
def test_arbitrary_bytes(fmt: str, data: bytes, strict: bool) -> None:
    name = VALID[fmt][0]
    for concept in _read(name, data, fmt, strict):
        assert isinstance(concept, Concept) and concept.concept_id and concept.name


@given(case=damaged(), strict=st.booleans(), detect=st.booleans())
def test_damaged_files(case: tuple[str, str, bytes], strict: bool, detect: bool) -> None:
    fmt, name, data = case
    for concept in _read(name, data, None if detect else fmt, strict):
        assert isinstance(concept, Concept) and concept.concept_id and concept.name
        assert not any(ord(ch) < 32 and not ch.isspace() for ch in concept.name)


@given(
    case=damaged(),
    kind=st.sampled_from(["gz", "bz2", "zip"]),
    cut=st.integers(0, 400),
    flip=st.integers(0, 400),
)
def test_damaged_compressed_files(
    case: tuple[str, str, bytes], kind: str, cut: int, flip: int
) -> None:
    fmt, name, data = case
    name, packed = _compress(kind, name, data)
    damaged_bytes = bytearray(packed[: max(1, len(packed) - cut)])
    if flip < len(damaged_bytes):
        damaged_bytes[flip] ^= 0xFF
    _read(name, bytes(damaged_bytes), fmt, strict=True)
