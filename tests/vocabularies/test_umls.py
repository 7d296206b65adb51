"""The UMLS RRF reader: suppression, sources, languages, MRSTY/MRDEF joins, laziness."""

from __future__ import annotations

import re

import pytest

from entitylink import Concept, VocabularyError, detect_format, read_vocabulary
from tests.paths import SAMPLES
from tests.vocabularies.snippets import (
    TONSILLITIS_DEF,
    XMEN_MRCONSO,
    XMEN_MRDEF,
    XMEN_MRSTY,
    Write,
    ids,
    lines,
    preferred,
    rrf,
)

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
