from __future__ import annotations

import pytest

from entitylink import Concept, make_pairs, pairs_from_sources, read_vocabulary
from entitylink.evaluation.benchmarks import load_benchmark
from entitylink.training.pairs import benchmark_pairs, normalize_name
from tests.paths import SAMPLES, shared_path


def test_all_pairs_of_a_small_synonym_set_and_none_with_itself() -> None:
    concepts = [
        Concept("D1", "Asthma", ("asthma", "Bronchial  asthma", "Asthmas")),  # case-only dup
        Concept("D2", "Gout"),
    ]
    pairs = make_pairs(concepts)
    assert {(p.first, p.second) for p in pairs} == {
        ("asthma", "bronchial asthma"),
        ("asthma", "asthmas"),
        ("asthmas", "bronchial asthma"),
    }
    assert all(p.first != p.second and p.label == "D1" for p in pairs)


def test_single_names_only_on_request() -> None:
    concepts = [Concept("D2", "Gout")]
    assert make_pairs(concepts) == []
    (pair,) = make_pairs(concepts, single_names=True)
    assert (pair.first, pair.second, pair.label) == ("gout", "gout", "D2")


def test_large_synonym_sets_are_sampled_with_the_seed() -> None:
    concepts = [Concept("C1", "name 0", tuple(f"name {i}" for i in range(1, 20)))]
    pairs = make_pairs(concepts, max_pairs_per_concept=10, seed=1)
    assert len(pairs) == 10 and len({(p.first, p.second) for p in pairs}) == 10
    assert pairs == make_pairs(concepts, max_pairs_per_concept=10, seed=1)
    assert pairs != make_pairs(concepts, max_pairs_per_concept=10, seed=2)
    assert len(make_pairs(concepts, max_pairs_per_concept=1000)) == 19 * 20 // 2
    with pytest.raises(ValueError, match="at least 1"):
        make_pairs(concepts, max_pairs_per_concept=0)


def test_sources_merge_by_normalised_id() -> None:
    medic = [Concept("MESH:D003920", "Diabetes Mellitus", ("Diabetes",))]
    mesh = [Concept("D003920", "Diabetes Mellitus", ("DM",))]
    pairs = pairs_from_sources([("medic", medic), ("mesh", mesh)])
    assert {p.label for p in pairs} == {"D003920"} and {p.source for p in pairs} == {"medic+mesh"}
    assert ("diabetes", "dm") in {(p.first, p.second) for p in pairs}  # across the two sources
    assert len(pairs) == 3


def test_sample_vocabulary_pairs_are_its_own_names() -> None:
    concepts = list(read_vocabulary(SAMPLES / "MRCONSO.RRF"))
    names = {normalize_name(n) for c in concepts for n in c.names}
    pairs = make_pairs(concepts)
    assert pairs and {p.first for p in pairs} | {p.second for p in pairs} <= names


def test_no_test_mention_enters_the_pairs_unless_it_is_a_vocabulary_name() -> None:
    medic = shared_path("vocab", "ctd", "medic_06Jul2012.txt")
    shared_path("benchmarks", "ncbi-disease")
    concepts = list(read_vocabulary(medic))
    names = {normalize_name(n) for c in concepts for n in c.names}
    pairs = make_pairs(concepts)
    strings = {p.first for p in pairs} | {p.second for p in pairs}
    for split in ("test", "dev"):
        mentions = {normalize_name(m.text) for m in load_benchmark("ncbi-disease", split).mentions}
        assert mentions - names, "some mentions must be outside the vocabulary for this test"
        assert not (mentions - names) & strings
    # the explicit option adds train mentions only, and refuses the test split
    extra = benchmark_pairs("ncbi-disease", concepts, split="train")
    train = {normalize_name(m.text) for m in load_benchmark("ncbi-disease", "train").mentions}
    assert extra and {p.first for p in extra} <= train
    with pytest.raises(ValueError, match="leak"):
        benchmark_pairs("ncbi-disease", concepts, split="test")
