"""Tests of evaluation.preprocess on real sentences and mentions of NCBI-disease and BC5CDR.

Sentences and mentions are quoted from the PubTator files under ../shared/data/benchmarks
(PMIDs given); the tests that read those files skip when ../shared is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from entitylink.evaluation.preprocess import (
    find_abbreviations,
    load_typos,
    normalize_text,
    resolve_abbreviations,
    split_composite,
)
from tests.paths import shared_path

# --- find_abbreviations --------------------------------------------------------------------

DEFINITIONS = [
    pytest.param(  # NCBI test, PMID 9949209 (three sentences of the abstract)
        "The major cause of hepatic copper accumulation in man is a dysfunctional ATP7B gene, "
        "causing Wilson disease (WD). By investigating the common autosomal recessive copper "
        "toxicosis (CT) in Bedlington terriers, we have identified a new locus involved in "
        "progressive liver disease. We examined whether the WD gene ATP7B was also causative for "
        "CT by investigating the chromosomal co-localization of ATP7B and C04107, using "
        "fluorescence in situ hybridization (FISH).",
        {
            "WD": "Wilson disease",
            "CT": "copper toxicosis",
            "FISH": "fluorescence in situ hybridization",
        },
        id="ncbi-9949209",
    ),
    pytest.param(  # NCBI test, PMID 9950360
        "BACKGROUND/AIMS  The development of colorectal cancer and a variable range of "
        "extracolonic manifestations in familial adenomatous polyposis (FAP) is the result of the "
        "dominant inheritance of adenomatous polyposis coli (APC) gene mutations.",
        {"FAP": "familial adenomatous polyposis", "APC": "adenomatous polyposis coli"},
        id="ncbi-9950360",
    ),
    pytest.param(  # NCBI test, PMID 9674903: hyphenated long form
        "Maternal uniparental disomy (UPD) for chromosome 15 is responsible for an estimated 30% "
        "of cases of Prader-Willi syndrome (PWS).",
        {"UPD": "uniparental disomy", "PWS": "Prader-Willi syndrome"},
        id="ncbi-9674903",
    ),
    pytest.param(  # NCBI test, PMID 9585611: plain S&H would stop at "adenomatous ..."
        "Germ-line mutations of the tumor suppressor APC are implicated in attenuated adenomatous "
        "polyposis coli (AAPC), a variant of familial adenomatous polyposis (FAP).",
        {"AAPC": "attenuated adenomatous polyposis coli", "FAP": "familial adenomatous polyposis"},
        id="ncbi-9585611-initials",
    ),
    pytest.param(  # NCBI test, PMID 9358014: plain S&H would give "hemochromatosis"
        "Recent studies have shown that hereditary hemochromatosis (HH) is likely to be caused by "
        "homozygosity for a Cys282Tyr mutation in the HFE gene located 4. 5 Mb telomeric to HLA-A.",
        {"HH": "hereditary hemochromatosis"},
        id="ncbi-9358014-initials",
    ),
    pytest.param(  # BC5CDR test, PMID 20431083: the long form of TIA starts after "(IS)/"
        "Insights could be gained by pooling data on MB frequency stratified by antithrombotic use "
        "in cohorts with ICH and ischemic stroke (IS)/transient ischemic attack (TIA).",
        {"IS": "ischemic stroke", "TIA": "transient ischemic attack"},
        id="cdr-20431083",
    ),
    pytest.param(  # BC5CDR test, PMID 23892921: RD's letters do not start words; quotes dropped
        "Lenalidomide and dexamethasone (RD) is a standard of care for relapsed/refractory "
        "multiple myeloma (RRMM), but there is limited published data on its efficacy and safety "
        'in the "real world" (RW), according to the International Society of Pharmacoeconomics '
        "and Outcomes Research definition.",
        {"RRMM": "relapsed/refractory multiple myeloma", "RW": "real world"},
        id="cdr-23892921",
    ),
    pytest.param(  # BC5CDR test, PMID 20009434: the reverse form "SF (long form, ...)"
        "At day 833 after the transplantation, he was diagnosed with PTLD (post-transplantation "
        "lymphoproliferative disorder, Burkitt-type malignant lymphoma).",
        {"PTLD": "post-transplantation lymphoproliferative disorder"},
        id="cdr-20009434-reverse",
    ),
    pytest.param(  # BC5CDR test, PMID 16867246: the reverse form
        "The alleles of all loci were determined by PCR (polymerase chain reaction).",
        {"PCR": "polymerase chain reaction"},
        id="cdr-16867246-reverse",
    ),
]


@pytest.mark.parametrize(("text", "expected"), DEFINITIONS)
def test_find_abbreviations_on_corpus_sentences(text: str, expected: dict[str, str]) -> None:
    assert find_abbreviations(text) == expected


NOT_DEFINITIONS = [
    # NCBI test 9506545: "(n = 14)" and a parenthesised list after a lowercase word
    "We compared horizontal eye movements (visually guided saccades, antisaccades, and smooth "
    "pursuit) in control subjects (n = 14) and patients with three forms",
    # NCBI test 9529364: a mutation name with no long form before it
    "Most mutations in DDS patients lie in exon 8 or exon 9, encoding zinc finger 2 or zinc "
    "finger 3, respectively, with a hot spot (R394W) in exon 9.",
    # NCBI test 9869602: a p-value
    "RESULTS  In persons at average risk for colorectal cancer, I1307K was found in 5. 0% of 120 "
    "European and 1. 6% of 188 non-European Jews (P = 0. 08).",
    # NCBI test 9744473: a citation
    "Recently, the R496H mutation of ARSA was proposed to be a cause of MLD "
    "(Draghia et al., 1997).",
    # BC5CDR train 19957053: doses and a formula
    "METHODS: Following induction of anesthesia by fentanyl (0.15 mg kg(-1)) and propofol "
    "(2.0 mg kg(-1)), 13 patients received phenylephrine",
]


@pytest.mark.parametrize("text", NOT_DEFINITIONS)
def test_find_abbreviations_ignores_other_parentheses(text: str) -> None:
    assert find_abbreviations(text) == {}


def test_find_abbreviations_keeps_the_first_definition() -> None:
    text = "Wilson disease (WD) is rare. Wolfram diabetes (WD) is not."
    assert find_abbreviations(text) == {"WD": "Wilson disease"}


def _pubtator_text(path: Path, pmid: str) -> str:
    """Title and abstract of one document, joined as BioSyn writes its .txt files."""
    fields = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        for kind in ("t", "a"):
            if line.startswith(f"{pmid}|{kind}|"):
                fields[kind] = line.split("|", 2)[2]
    return f"{fields['t']}\n\n{fields['a']}\n"


@pytest.mark.shared
def test_find_abbreviations_on_a_whole_ncbi_document() -> None:
    path = shared_path("benchmarks", "ncbi-disease", "NCBItestset_corpus.txt")
    assert find_abbreviations(_pubtator_text(path, "9529364")) == {
        "DDS": "Denys-Drash syndrome",
        "DMS": "diffuse mesangial sclerosis",
        "WT": "Wilms tumor",
        "IDMS": "isolated DMS",
    }


# --- resolve_abbreviations -----------------------------------------------------------------


def test_resolve_abbreviations_on_real_mentions() -> None:
    ncbi_9950360 = {"FAP": "familial adenomatous polyposis", "APC": "adenomatous polyposis coli"}
    assert resolve_abbreviations("APC", ncbi_9950360) == "adenomatous polyposis coli"
    assert (
        resolve_abbreviations("FAP  patients", ncbi_9950360)
        == "familial adenomatous polyposis patients"
    )
    ncbi_9634518 = {"PAH": "phenylalanine hydroxylase"}  # PMID 9634518, mention "PAH deficiency"
    assert resolve_abbreviations("PAH deficiency", ncbi_9634518) == (
        "phenylalanine hydroxylase deficiency"
    )
    assert resolve_abbreviations("hepatic copper", ncbi_9950360) == "hepatic copper"


def test_resolve_abbreviations_expands_long_forms_again() -> None:
    # NCBI test 9529364: "IDMS" is defined as "isolated DMS", and DMS is defined too
    abbreviations = {"DMS": "diffuse mesangial sclerosis", "IDMS": "isolated DMS"}
    assert resolve_abbreviations("IDMS", abbreviations) == "isolated diffuse mesangial sclerosis"


def test_resolve_abbreviations_tokens_ending_in_a_comma() -> None:
    # BC5CDR train 19957053: two sentences, then the mention "a decrease in MAP, HR, SV, and CO"
    abbreviations = find_abbreviations(
        "METHODS: Following induction of anesthesia by fentanyl (0.15 mg kg(-1)) and propofol "
        "(2.0 mg kg(-1)), 13 patients received phenylephrine (0.1 mg iv) and 12 patients received "
        "ephedrine (10 mg iv) to restore mean arterial pressure (MAP). Heart rate (HR), MAP, "
        "stroke volume (SV), cardiac output (CO), and frontal lobe oxygenation (S(c)O(2)) were "
        "registered."
    )
    assert abbreviations == {
        "MAP": "mean arterial pressure",
        "HR": "Heart rate",
        "SV": "stroke volume",
        "CO": "cardiac output",
    }
    assert resolve_abbreviations("a decrease in MAP, HR, SV, and CO", abbreviations) == (
        "a decrease in mean arterial pressure, Heart rate, stroke volume, and cardiac output"
    )
    # BC5CDR dev 2422478: only the final comma is set aside (BioSyn drops every comma first)
    dht = {"5,7-DHT": "5,7-dihydroxytryptamine"}
    assert resolve_abbreviations("5,7-DHT, rats", dht) == "5,7-dihydroxytryptamine, rats"


def test_resolve_abbreviations_slash_parts() -> None:
    # BC5CDR test 20431083 writes "IS/TIA" after defining both
    abbreviations = {"IS": "ischemic stroke", "TIA": "transient ischemic attack"}
    assert resolve_abbreviations("with IS/TIA", abbreviations) == (
        "with ischemic stroke/transient ischemic attack"
    )
    # NCBI train 10417286: "CL/P" is itself a short form; the whole token is looked up before
    # its parts (BioSyn looks at the parts first)
    assert resolve_abbreviations("CL/P", {"CL/P": "cleft lip/palate", "P": "palate"}) == (
        "cleft lip/palate"
    )


def test_resolve_abbreviations_stops_on_cycles() -> None:
    assert resolve_abbreviations("A", {"A": "B", "B": "A"}) == "A"
    assert resolve_abbreviations("APC", {"APC": "APC gene"}) == "APC gene"
    assert resolve_abbreviations("A", {"A": "B C", "B": "D"}) == "D C"  # a chain, no cycle


# --- split_composite -----------------------------------------------------------------------

COMPOSITES = [
    # plain "A and/or B stem"
    ("non-familial breast and ovarian cancers", ("non-familial breast cancers", "ovarian cancers")),
    ("male and female breast cancer", ("male breast cancer", "female breast cancer")),
    ("breast and/or ovarian cancer", ("breast cancer", "ovarian cancer")),  # NCBI train 7759075
    ("retinal and the pineal tumours", ("retinal tumours", "the pineal tumours")),  # 9400934
    # "A, B and C stem"
    (
        "sporadic breast, brain, prostate and kidney cancer",  # NCBI test 9467011
        ("sporadic breast cancer", "brain cancer", "prostate cancer", "kidney cancer"),
    ),
    (
        "Saethre-Chotzen, Crouzon, and Pfeiffer syndromes",  # NCBI test 9585583, all OMIM
        ("Saethre-Chotzen syndromes", "Crouzon syndromes", "Pfeiffer syndromes"),
    ),
    # "X of (both) (the) A and B": BioSyn drops "the"
    ("cancer of the breast and ovaries", ("cancer of breast", "cancer of ovaries")),  # 7825586
    # the 7th column of BC5CDR test, reproduced
    ("impairment of learning and memory", ("impairment of learning", "impairment of memory")),
    (
        "deterioration of learning and short-term memory",  # 20046642
        ("deterioration of learning", "deterioration of short-term memory"),
    ),
    (
        "end-stage or malignant liver disease",  # 24100055
        ("end-stage liver disease", "malignant liver disease"),
    ),
    (
        "liver, blood, skin, and renal disorders",  # 7479194
        ("liver disorders", "blood disorders", "skin disorders", "renal disorders"),
    ),
    ("hemorrhagic cystitis", ("hemorrhagic", "cystitis")),  # 23949582: one token per ID
    # nested "A, B and C and D stem" (BC5CDR train 20722491, equal to its 7th column)
    (
        "colorectal, breast and head and neck cancers",
        ("colorectal cancers", "breast cancers", "head and neck cancers"),
    ),
    # slash: "cleft lip/palate" (NCBI train 10323740); the rest stays on the second part only,
    # as in BioSyn (BC5CDR dev 18356633's 7th column says "hematologic disorder")
    ("cleft lip/palate", ("cleft lip", "cleft palate")),
    ("Duchenne/Becker muscular dystrophy", ("Duchenne", "Becker muscular dystrophy")),
    ("hematologic/oncologic disorder", ("hematologic", "oncologic disorder")),
]


@pytest.mark.parametrize(("mention", "parts"), COMPOSITES)
def test_split_composite_rules(mention: str, parts: tuple[str, ...]) -> None:
    ids = tuple(f"D{index:06d}" for index in range(len(parts)))
    assert split_composite(mention, ids) == (parts, ids)


@pytest.mark.parametrize(
    "mention",
    [
        "colorectal adenomas and/or carcinoma",  # NCBI test 9724771: "and/or" blocks the slash
        "colorectal, or other, cancers",  # NCBI test 9869602: no rule, 4 tokens
        # BC5CDR test 17384765: the list rule finds 4 parts for 2 IDs
        "impairments in learning, attention, inhibitory control, and arousal regulation",
        "Rg1 and Rb1 ginsenosides",  # BC5CDR test 24709919: digits are outside the rules
    ],
)
def test_split_composite_keeps_mismatches_whole(mention: str) -> None:
    assert split_composite(mention, ["D007859", "D019958"]) == ((mention,), ("D007859", "D019958"))


def test_split_composite_omim_ids() -> None:
    # NCBI test 9620771: "ACTH deficiency" OMIM:201400|C535668 -> the OMIM ID is dropped
    assert split_composite("ACTH deficiency", ["OMIM:201400", "C535668"]) == (
        ("ACTH deficiency",),
        ("C535668",),
    )
    # dictionary-style bare OMIM numbers count as OMIM too
    assert split_composite("ataxia telangiectasia", ["D001260", "208900"]) == (
        ("ataxia telangiectasia",),
        ("D001260",),
    )
    # NCBI test 9506545: only OMIM IDs, nothing dropped, no rule applies
    ids = ("OMIM:164400", "OMIM:183090")
    assert split_composite("spinocerebellar ataxias 1 and 2", ids) == (
        ("spinocerebellar ataxias 1 and 2",),
        ids,
    )


def test_split_composite_single_id_unchanged() -> None:
    assert split_composite(" breast and ovarian cancer ", [" D001943"]) == (
        ("breast and ovarian cancer",),
        ("D001943",),
    )


@pytest.mark.shared
def test_split_composite_reproduces_bc5cdr_components() -> None:
    """Where BC5CDR test gives the components (7th column), count how often the rules agree."""
    path = shared_path("benchmarks", "bc5cdr", "CDR_TestSet.PubTator.txt")
    agree = total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 7 and fields[6].count("|") == fields[5].count("|"):
            total += 1
            parts, _ = split_composite(fields[3], fields[5].split("|"))
            agree += parts == tuple(fields[6].split("|"))
    assert (agree, total) == (38, 57)


# --- normalize_text and typos --------------------------------------------------------------


def test_normalize_text_punctuation() -> None:
    assert normalize_text("Prader-Willi syndrome") == "prader willi syndrome"
    assert normalize_text("Wilms' tumor (WT1)") == "wilms tumor wt1"
    assert normalize_text("  C5-deficient,\tserum. ") == "c5 deficient serum"
    assert normalize_text("hemorrhagic|cystitis") == "hemorrhagic|cystitis"
    assert normalize_text("...") == ""


@pytest.mark.shared
def test_normalize_text_typos_from_the_ncbi_list() -> None:
    typos = load_typos(shared_path("vocab", "ctd", "ncbi-spell-check.txt"))
    assert len(typos) == 37
    assert typos["hemmorhage"] == "haemorrhage"
    assert normalize_text("Intracranial Hemmorhage", typos) == "intracranial haemorrhage"
    # corrections apply to whole tokens before punctuation goes, as in BioSyn
    assert normalize_text("hemmorhage, retinal", typos) == "hemmorhage retinal"
    assert normalize_text("Intracranial Hemmorhage") == "intracranial hemmorhage"


def test_load_typos_format(tmp_path: Path) -> None:
    path = tmp_path / "typos.txt"
    path.write_text("bactermia||bacteremia\n\n  fist||first  \nstray\n", encoding="utf-8")
    assert load_typos(path) == {"bactermia": "bacteremia", "fist": "first", "stray": ""}
    assert normalize_text("stray bactermia", load_typos(str(path))) == "bacteremia"
