from __future__ import annotations

import pytest

from entitylink.evaluation.benchmarks import normalize_id
from entitylink.ids import canonical_id, id_variants


@pytest.mark.parametrize(
    "variants",
    [
        ("HP:0000118", "HP_0000118", "http://purl.obolibrary.org/obo/HP_0000118"),
        ("https://purl.obolibrary.org/obo/MONDO_0005015", "MONDO:0005015", " MONDO_0005015"),
        ("MESH:D000001", "D000001", "mesh:D000001", "MSH:D000001"),
        ("OMIM:114480", "omim:114480"),
    ],
)
def test_curie_variants_compare_equal(variants: tuple[str, ...]) -> None:
    assert len({canonical_id(v) for v in variants}) == 1
    assert len({normalize_id(v) for v in variants}) == 1
    for variant in variants:
        assert canonical_id(variant) in id_variants(variants[0])


def test_other_ids_are_kept() -> None:
    assert canonical_id("C0027051") == "C0027051"
    assert canonical_id("my_concept") == "my_concept"  # not PREFIX_digits
    assert canonical_id("MESH:") == "MESH:"
    assert normalize_id("114480") == "OMIM:114480"  # bare numbers in MEDIC and NCBI gold
