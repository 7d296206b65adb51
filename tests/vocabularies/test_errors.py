"""Broken input: the message names the file and the line; strict=False skips and counts."""

from __future__ import annotations

import gzip
import json
import logging
import re

import pandas as pd
import pytest

from entitylink import VocabularyError, read_vocabulary
from tests.vocabularies.snippets import (
    CTD_HEADER,
    CTD_ROWS,
    MEDIC_LINES,
    MESH_DESCRIPTOR_LINES,
    VOCAB_TSV_LINES,
    XMEN_JSONL_LINES,
    Write,
    bad_bytes,
    ids,
    lines,
    preferred,
    rrf,
    skipped_warning,
)

# ---------------------------------------------------------------------------------------------
# 3. Broken input: the message names the file and the line; strict=False skips and counts
# ---------------------------------------------------------------------------------------------

GOOD_OBO_TERM = ["[Term]", "id: HP:0000001", "name: All"]
BROKEN = [
    pytest.param(
        "MRCONSO.RRF",
        lines(
            preferred("C0000001", "Asthma"),
            preferred("C0000002", "Fever"),
            "C0000003|ENG|P|",
            preferred("C0000004", "Headache"),
        ),
        3,
        "expected 18 '|' fields, found 3",
        ["C0000001", "C0000002", "C0000004"],
        1,
        id="rrf-too-few-fields",
    ),
    pytest.param(
        "MRCONSO.RRF",
        lines(preferred("C0000001", "Asthma"), preferred("C0000002", " "), rrf("", "Fever")),
        2,
        "empty CUI or STR",
        ["C0000001"],
        2,
        id="rrf-empty-str-and-cui",
    ),
    pytest.param(
        "hp.obo",
        lines("format-version: 1.2", "", *GOOD_OBO_TERM, "", "[Term]", "id: HP:0000002", ""),
        7,
        "[Term] stanza without 'id' or 'name'",
        ["HP:0000001"],
        1,
        id="obo-term-without-name",
    ),
    pytest.param(
        "hp.obo",
        lines(*GOOD_OBO_TERM, "a line without a colon"),
        4,
        "expected 'tag: value', found 'a line without a colon'",
        ["HP:0000001"],
        1,
        id="obo-line-without-tag",
    ),
    pytest.param(
        "mondo.json",
        lines("[", '{"id": "0000001", "name": "disease", "namespace": "mondo"},', '{"id": }', "]"),
        3,
        "not valid JSON: Expecting value",
        [],
        1,
        id="obojson-invalid-json",
    ),
    pytest.param(
        "mondo.json",
        json.dumps(
            [
                {"id": "0000001", "name": "disease", "namespace": "mondo"},
                {"id": "0000002", "name": " ", "namespace": "mondo"},
                "0000003",
            ]
        ),
        "term 2",
        "missing 'id' or 'name'",
        ["MONDO:0000001"],
        2,
        id="obojson-empty-name-and-non-object",
    ),
    pytest.param(
        "medic_06Jul2012.txt",
        lines(MEDIC_LINES[0], "C567755|613097|Tooth Agenesis, Selective, 6", MEDIC_LINES[1]),
        2,
        "expected 'ID||name|synonyms', found 'C567755|613097|Tooth Agenesis, Selective, 6'",
        ["C565588", "C567755"],
        1,
        id="biosyn-without-separator",
    ),
    pytest.param(
        "medic_06Jul2012.txt",
        lines(MEDIC_LINES[0], "||Tooth Agenesis", "C567755||"),
        2,
        "expected 'ID||name|synonyms'",
        ["C565588"],
        2,
        id="biosyn-empty-id-and-name",
    ),
    pytest.param(
        "CTD_diseases.tsv",
        lines(*CTD_HEADER, CTD_ROWS[0], "Orthostatic Intolerance\tMESH:D054971", CTD_ROWS[1]),
        6,
        "expected 9 tab-separated fields",
        ["MESH:D000033", "MESH:D054971"],
        1,
        id="ctd-too-few-fields",
    ),
    pytest.param(
        "CTD_diseases.tsv",
        lines(*CTD_HEADER, CTD_ROWS[0], "Orthostatic Intolerance\t" + "\t" * 7),
        6,
        "empty DiseaseName or DiseaseID",
        ["MESH:D000033"],
        1,
        id="ctd-empty-id",
    ),
    pytest.param(
        "mesh_id_label_mappings.tsv",
        lines(MESH_DESCRIPTOR_LINES[0], "D000004\t \t\tL01.559\t", MESH_DESCRIPTOR_LINES[1]),
        2,
        "expected 'ID<TAB>name[<TAB>synonyms...]' with non-empty ID and name",
        ["D000003", "D001241"],
        1,
        id="mesh-empty-name",
    ),
    pytest.param(
        "vocab.tsv",
        lines("concept_id\tlabel", "MONDO:0005136\tmalaria", "MONDO:0018076\ttuberculosis"),
        2,
        "missing column(s) name; found ['concept_id', 'label']",
        [],
        2,
        id="tsv-missing-name-column",
    ),
    pytest.param(
        "vocab.tsv",
        lines("concept_id\tname", "MONDO:0005136\tmalaria", "\ttuberculosis", "X:1\t "),
        3,
        "empty concept_id or name",
        ["MONDO:0005136"],
        2,
        id="tsv-empty-id-and-name",
    ),
    pytest.param(
        "vocab.tsv",
        lines("concept_id\tname", "MONDO:0005136\tmalaria\tplasmodiosis", "X:1\tfoo"),
        2,
        "expected 2 fields, found 3",
        ["X:1"],
        1,
        id="tsv-wrong-field-count",
    ),
    pytest.param(
        "vocab.csv",
        lines("concept_id,name", "MONDO:0005136,", "", "MONDO:0018076,tuberculosis"),
        2,
        "empty concept_id or name",
        ["MONDO:0018076"],
        1,
        id="csv-empty-name",
    ),
    pytest.param(
        "kb.jsonl",
        lines(XMEN_JSONL_LINES[0], '{"concept_id": "C1", "name": }', XMEN_JSONL_LINES[1]),
        2,
        "invalid JSON: Expecting value",
        ["C0723011", "C1536503"],
        1,
        id="jsonl-invalid-line",
    ),
    pytest.param(
        "kb.jsonl",
        lines(XMEN_JSONL_LINES[0], '"C1 asthma"', '{"concept_id": "C2"}'),
        2,
        "expected a JSON object",
        ["C0723011"],
        2,
        id="jsonl-not-an-object-and-no-name",
    ),
    pytest.param(
        "umls_test_fixture.json",
        lines("[", '  {"concept_id": "C1", "canonical_name": "a"},', '  {"concept_id": }', "]"),
        3,
        "invalid JSON: Expecting value",
        [],
        1,
        id="json-list-invalid",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "message", "kept", "skipped"), BROKEN)
def test_broken_input(
    write: Write,
    caplog: pytest.LogCaptureFixture,
    name: str,
    text: str,
    line: int | str,
    message: str,
    kept: list[str],
    skipped: int,
) -> None:
    path = write(name, text)
    with pytest.raises(VocabularyError) as exc:
        list(read_vocabulary(path))
    assert str(exc.value).startswith(f"{path}:{line}: {message}")
    assert str(exc.value).endswith("(pass strict=False / --no-strict to skip bad lines)")

    caplog.set_level(logging.WARNING, logger="entitylink.vocabularies")
    assert ids(read_vocabulary(path, strict=False)) == kept
    warning = skipped_warning(caplog)
    assert warning.startswith(f"{path}: skipped {skipped} bad line(s); first: {path}:{line}: ")


def test_broken_dataframe_row(caplog: pytest.LogCaptureFixture) -> None:
    frame = pd.DataFrame({"concept_id": ["C1", "C2", "C3"], "name": ["asthma", "", "fever"]})
    with pytest.raises(VocabularyError, match=r"^DataFrame:row 1: empty concept_id or name"):
        list(read_vocabulary(frame))
    caplog.set_level(logging.WARNING, logger="entitylink.vocabularies")
    assert ids(read_vocabulary(frame, strict=False)) == ["C1", "C3"]
    assert skipped_warning(caplog).startswith("DataFrame: skipped 1 bad line(s); first: ")
    with pytest.raises(VocabularyError, match=r"^DataFrame:row 0: missing column\(s\) name"):
        list(read_vocabulary(pd.DataFrame({"concept_id": ["C1"]})))


def test_broken_mrsty_line_names_mrsty(write: Write, caplog: pytest.LogCaptureFixture) -> None:
    meta = write("META/MRCONSO.RRF", lines(preferred("C1", "a"), preferred("C2", "b"))).parent
    write("META/MRSTY.RRF", lines("C1|T047|B2|Disease|AT1|", "C2|", "C2|T033|A2|Finding|AT2|"))
    with pytest.raises(VocabularyError, match=re.escape(f"{meta / 'MRSTY.RRF'}:2: expected 2")):
        list(read_vocabulary(meta))
    caplog.set_level(logging.WARNING, logger="entitylink.vocabularies")
    assert [c.types for c in read_vocabulary(meta, strict=False)] == [("T047",), ("T033",)]
    assert "skipped 1 bad line(s)" in skipped_warning(caplog)


UNDECODABLE = [
    pytest.param(
        "MRCONSO.RRF",
        bad_bytes(
            preferred("C0000001", "Asthma"),
            preferred("C0000002", "Fever <BAD>"),
            preferred("C0000003", "Cough"),
        ),
        ["C0000001", "C0000003"],
        id="rrf",
    ),
    pytest.param(
        "hp.obo",
        bad_bytes("format-version: 1.2", "remark: <BAD>", "", *GOOD_OBO_TERM),
        ["HP:0000001"],
        id="obo",
    ),
    pytest.param(
        "medic_06Jul2012.txt",
        bad_bytes(MEDIC_LINES[0], "C000001||<BAD>", MEDIC_LINES[1]),
        ["C565588", "C567755"],
        id="biosyn",
    ),
    pytest.param(
        "CTD_diseases.tsv",
        bad_bytes(CTD_HEADER[0], "# <BAD>", CTD_ROWS[0]),
        ["MESH:D000033"],
        id="ctd",
    ),
    pytest.param(
        "CTD_diseases.tsv.gz",
        gzip.compress(bad_bytes(CTD_HEADER[0], "# <BAD>", CTD_ROWS[0])),
        ["MESH:D000033"],
        id="ctd-gz",
    ),
    pytest.param(
        "mesh_id_label_mappings.tsv",
        bad_bytes(MESH_DESCRIPTOR_LINES[0], "D000004\t<BAD>\t\t\t", MESH_DESCRIPTOR_LINES[1]),
        ["D000003", "D001241"],
        id="mesh",
    ),
    pytest.param(
        "vocab.tsv",
        bad_bytes("concept_id\tname", "C1\t<BAD>", "C2\tfever"),
        ["C2"],
        id="tsv",
    ),
    pytest.param(
        "vocab.csv",
        bad_bytes("concept_id,name", "C1,<BAD>", "C2,fever"),
        ["C2"],
        id="csv",
    ),
    pytest.param(
        "kb.jsonl",
        bad_bytes(
            XMEN_JSONL_LINES[0],
            '{"concept_id": "C1", "name": "<BAD>"}',
            '{"id": "C2", "name": "x"}',
        ),
        ["C0723011", "C2"],
        id="jsonl",
    ),
]


@pytest.mark.parametrize(("name", "content", "kept"), UNDECODABLE)
def test_undecodable_bytes(
    write: Write,
    caplog: pytest.LogCaptureFixture,
    name: str,
    content: bytes,
    kept: list[str],
) -> None:
    path = write(name, content)
    with pytest.raises(VocabularyError) as exc:
        list(read_vocabulary(path))
    message = str(exc.value)
    assert message.startswith(f"{path}:2: undecodable bytes (not UTF-8): invalid start byte")
    assert "UTF-8" in message
    caplog.set_level(logging.WARNING, logger="entitylink.vocabularies")
    assert ids(read_vocabulary(path, strict=False)) == kept
    assert skipped_warning(caplog).startswith(f"{path}: skipped 1 bad line(s); first: {path}:2:")


def test_nothing_is_logged_for_good_input(write: Write, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="entitylink.vocabularies")
    path = write("vocab.tsv", lines(*VOCAB_TSV_LINES))
    assert len(list(read_vocabulary(path, strict=False))) == 3
    assert caplog.records == []


def test_empty_table_file(write: Write) -> None:
    path = write("vocab.tsv", "\n\n")
    with pytest.raises(VocabularyError, match=re.escape(f"{path}:1: empty file")):
        list(read_vocabulary(path, format="tsv"))
    assert list(read_vocabulary(path, format="tsv", strict=False)) == []
