from __future__ import annotations

import pytest

from entitylink.evaluation.protocols import concept_ids, prepare
from entitylink.records import Concept
from tests.paths import SAMPLES, shared_path

VOCAB = [SAMPLES / "MRCONSO.RRF"]


def test_sapbert_protocol_on_the_sample() -> None:
    prepared = prepare(SAMPLES / "benchmark.pubtator", "sapbert", vocabulary=VOCAB)
    parts = {q.mention.text: q.parts for q in prepared.queries}
    assert parts["MI"] == ("myocardial infarction",)  # defined in the title
    assert parts["NIDDM"] == ("non insulin dependent diabetes mellitus",)
    assert parts["ASA"] == ("acetylsalicylic acid",)
    assert parts["Breast and lung cancer"] == ("breast cancer", "lung cancer")
    assert prepared.removed == {"nil": 0, "uncovered": 1}  # "rash", D005076
    assert prepared.uncovered_ids == ("D005076",)
    assert len(prepared.queries) == 21
    names = {n for c in prepared.dictionary for n in c.names}
    assert "acetylsalicylic acid" in names and "Acetylsalicylic Acid" not in names


def test_plain_protocol_keeps_mentions_as_written() -> None:
    prepared = prepare(SAMPLES / "benchmark.pubtator", "plain", vocabulary=VOCAB)
    assert len(prepared.queries) == 22 and prepared.removed == {"nil": 0}
    assert prepared.uncovered_ids == ("D005076",)
    assert prepared.queries[1].parts == ("MI",)
    assert len(prepared.dictionary) == 300  # the vocabulary as read


def test_dictionary_merges_ids_of_a_shared_name() -> None:
    prepared = prepare(SAMPLES / "benchmark.tsv", "sapbert", vocabulary=VOCAB)
    assert prepared.removed == {"nil": 1, "uncovered": 0}
    assert [q.parts for q in prepared.queries][:2] == [
        ("heart attack",),
        ("type 2 diabetes mellitus",),
    ]
    # the protocol's dictionary: one entry per distinct normalised name, IDs of a name unioned
    seen: dict[str, str] = {}
    for concept in prepared.dictionary:
        for name in concept.names:
            assert name not in seen
            seen[name] = concept.concept_id


def test_concept_ids() -> None:
    medic = Concept("604715", "Orthostatic Intolerance", alt_ids=("D054971",))
    assert concept_ids(medic) == {"OMIM:604715", "D054971"}
    assert concept_ids(Concept("D001260|OMIM:208900", "ataxia telangiectasia")) == {
        "D001260",
        "OMIM:208900",
    }


def test_file_benchmark_needs_a_vocabulary() -> None:
    with pytest.raises(ValueError, match="needs a vocabulary"):
        prepare(SAMPLES / "benchmark.tsv", "plain")
    with pytest.raises(ValueError, match="unknown protocol"):
        prepare(SAMPLES / "benchmark.tsv", "biosyn", vocabulary=VOCAB)


def test_real_ncbi_counts() -> None:
    shared_path("benchmarks")
    sapbert = prepare("ncbi-disease", "sapbert")
    assert len(sapbert.queries) == 960 and sapbert.removed == {"nil": 0, "uncovered": 0}
    assert "train and dev mentions" in sapbert.dictionary_description
    plain = prepare("ncbi-disease", "plain")
    assert len(plain.queries) == 960 and plain.uncovered_ids == ()


def test_abbreviation_ablation_keeps_the_dictionary() -> None:
    resolved = prepare(SAMPLES / "benchmark.pubtator", "sapbert", vocabulary=VOCAB)
    raw = prepare(SAMPLES / "benchmark.pubtator", "sapbert", vocabulary=VOCAB, abbreviations=False)
    assert raw.dictionary == resolved.dictionary
    assert raw.protocol == "sapbert (test abbreviations unresolved)"
    assert {q.mention.text: q.parts for q in raw.queries}["MI"] == ("mi",)
