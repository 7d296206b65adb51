"""Names that normalise alike are stored once; detect_format and argument errors."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from entitylink import Concept, VocabularyError, detect_format, read_vocabulary
from tests.paths import SAMPLES
from tests.vocabularies.snippets import (
    CTD_TEXT,
    HPO_OBO,
    MEDIC_LINES,
    MESH_DESCRIPTOR_LINES,
    MESH_SUPPLEMENTARY_LINES,
    MONDO_JSON,
    OBO_GRAPH,
    SCISPACY_JSON,
    VOCAB_TSV_LINES,
    XMEN_JSONL_LINES,
    XMEN_MRCONSO,
    Write,
    lines,
    preferred,
    rrf,
)

# ---------------------------------------------------------------------------------------------
# 4. Names that normalise alike are stored once per concept
# ---------------------------------------------------------------------------------------------


def test_names_that_normalise_alike_are_kept_once(write: Write) -> None:
    path = write(
        "vocab.tsv",
        lines(
            "concept_id\tname\tsynonyms",
            "C0027051\tMyocardial  Infarction \tHeart Attack|heart  attack|HEART ATTACK"
            "|\uff28eart attack|myocardial infarction|MI",
            "C0018787\tHeart\theart attack|Cardiac",
        ),
    )
    assert list(read_vocabulary(path)) == [
        # the first spelling is kept, its runs of blanks collapsed; full-width letters (NFKC),
        # case and spacing do not make a new name
        Concept("C0027051", "Myocardial Infarction", aliases=("Heart Attack", "MI")),
        # names are only merged within a concept
        Concept("C0018787", "Heart", aliases=("heart attack", "Cardiac")),
    ]


def test_names_normalised_in_rrf_and_obo(write: Write) -> None:
    rrf_path = write(
        "MRCONSO.RRF",
        lines(
            rrf("C0027051", "heart  attack"),
            preferred("C0027051", "Heart Attack"),
            rrf("C0027051", "HEART ATTACK", sab="SNOMEDCT_US"),
        ),
    )
    assert list(read_vocabulary(rrf_path)) == [
        Concept("C0027051", "Heart Attack", source="MSH|SNOMEDCT_US")
    ]
    obo_path = write(
        "x.obo",
        lines(
            "[Term]",
            "id: X:1",
            "name: Heart Attack",
            'synonym: "heart  attack" EXACT []',
            'synonym: "Heart attack" RELATED []',
        ),
    )
    assert list(read_vocabulary(obo_path, synonym_scopes=["EXACT", "RELATED"])) == [
        Concept("X:1", "Heart Attack", source="X")
    ]


# ---------------------------------------------------------------------------------------------
# 5. detect_format and argument errors
# ---------------------------------------------------------------------------------------------

DETECT = [
    ("MRCONSO.RRF", lines(*XMEN_MRCONSO), "rrf"),
    ("MRCONSO.RRF.gz", gzip.compress(lines(*XMEN_MRCONSO).encode()), "rrf"),
    ("hp.obo", HPO_OBO, "obo"),
    ("mondo.json", MONDO_JSON, "obojson"),
    ("hp.json", json.dumps(OBO_GRAPH), "obojson"),
    ("umls_test_fixture.json", SCISPACY_JSON, "jsonl"),
    ("umls_subset.jsonl", lines(*XMEN_JSONL_LINES), "jsonl"),
    ("medic_06Jul2012.txt", lines(*MEDIC_LINES), "biosyn"),
    ("CTD_diseases.tsv", CTD_TEXT, "ctd"),
    ("CTD_diseases.tsv.gz", gzip.compress(CTD_TEXT.encode()), "ctd"),
    ("mesh_id_label_mappings.tsv", lines(*MESH_DESCRIPTOR_LINES), "mesh"),
    ("mesh_supp_id_label_mappings.tsv", lines(*MESH_SUPPLEMENTARY_LINES), "mesh"),
    ("mesh.txt", lines("MESH:" + MESH_DESCRIPTOR_LINES[0]), "mesh"),
    ("vocab.tsv", lines(*VOCAB_TSV_LINES), "tsv"),
    ("vocab.txt", lines("cui\tname", "C1\tasthma"), "tsv"),
    ("vocab.csv", lines("concept_id,name", "C1,asthma"), "csv"),
    ("vocab.csv.gz", gzip.compress(b"concept_id,name\nC1,asthma\n"), "csv"),
]


@pytest.mark.parametrize(("name", "content", "expected"), DETECT, ids=[d[0] for d in DETECT])
def test_detect_format(write: Write, name: str, content: str | bytes, expected: str) -> None:
    path = write(name, content)
    assert detect_format(path) == expected
    assert detect_format(str(path)) == expected
    assert len(list(read_vocabulary(path))) >= 1


def test_detect_format_on_directories(write: Write, tmp_path: Path) -> None:
    meta = write("META/MRCONSO.RRF", lines(*XMEN_MRCONSO)).parent
    assert detect_format(meta) == "rrf"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VocabularyError, match=re.escape(f"{empty}: a directory without")):
        detect_format(empty)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", "hello world\n"),
        # the first line of mesh/mesh_mappings.tsv: a mapping table, not a vocabulary
        ("mesh_mappings.tsv", "MESH\tC000002\tbevonium\tCHEBI\tCHEBI:135495\tbevonium\n"),
        ("empty.tsv", ""),
    ],
)
def test_detect_format_unrecognisable(write: Write, name: str, content: str) -> None:
    path = write(name, content)
    with pytest.raises(VocabularyError, match=re.escape(f"{path}: cannot tell the vocabulary")):
        detect_format(path)
    with pytest.raises(VocabularyError, match="name it with format="):
        read_vocabulary(path)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.tsv"
    with pytest.raises(VocabularyError, match=re.escape(f"{missing}: no such file")):
        detect_format(missing)
    with pytest.raises(VocabularyError, match=re.escape(f"{missing}: no such file")):
        read_vocabulary(missing)
    with pytest.raises(VocabularyError, match=re.escape(f"{missing}: no such file")):
        read_vocabulary(missing, format="tsv")


def test_unknown_format_name(write: Write) -> None:
    path = write("vocab.tsv", lines(*VOCAB_TSV_LINES))
    with pytest.raises(ValueError, match="unknown vocabulary format 'xml'; expected one of rrf,"):
        read_vocabulary(path, format="xml")
    with pytest.raises(ValueError) as exc:
        read_vocabulary(path, format="TSV")
    assert type(exc.value) is ValueError


def test_option_a_format_does_not_take(write: Write) -> None:
    mesh = write("mesh_id_label_mappings.tsv", lines(*MESH_DESCRIPTOR_LINES))
    with pytest.raises(ValueError) as exc:
        read_vocabulary(mesh, sabs=["MSH"])  # raised at the call, not on iteration
    assert type(exc.value) is ValueError
    assert str(exc.value) == "format 'mesh' takes no option sabs; its options: descriptors, source"
    with pytest.raises(ValueError, match=r"format 'rrf' takes no option synonym_scopes; its "):
        read_vocabulary(SAMPLES / "MRCONSO.RRF", synonym_scopes=["EXACT"])
    with pytest.raises(
        ValueError, match=r"^format 'dataframe' takes no option delimiter; its options: none$"
    ):
        read_vocabulary(pd.DataFrame({"concept_id": ["C1"], "name": ["a"]}), delimiter=",")
