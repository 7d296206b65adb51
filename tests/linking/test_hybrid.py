from __future__ import annotations

from pathlib import Path

import pytest

from entitylink import Concept, ConceptIndex, Encoder, IndexFormatError, Linker, build_index
from entitylink.index.build import reindex


@pytest.fixture(scope="module")
def linker(
    tmp_path_factory: pytest.TempPathFactory, sample_index: ConceptIndex, minilm: Encoder
) -> Linker:
    """The MiniLM sample index with the sparse part added (no encoding again)."""
    out = tmp_path_factory.mktemp("hybrid") / "sample"
    return Linker(minilm, reindex(sample_index.path, out, spec="Flat", sparse=True, progress=False))


def test_exact_name_scores_one_plus_w_in_hybrid_mode(linker: Linker) -> None:
    for weight in (0.0, 0.5, 2.0):
        best = linker.link(["heart attack"], k=3, mode="hybrid", weight=weight)[0][0]
        assert best.concept_id == "C0027051"
        assert best.score == pytest.approx(1.0 + weight, abs=1e-4)


def test_hybrid_is_the_default_with_a_sparse_part_and_reads_w(linker: Linker) -> None:
    default = linker.link(["high blood pressure"], k=2)[0]
    weight = linker.index.hybrid_weight
    assert weight is not None
    explicit = linker.link(["high blood pressure"], k=2, mode="hybrid", weight=weight)[0]
    assert default == explicit


def test_hybrid_score_is_dense_plus_w_sparse_for_every_candidate(linker: Linker) -> None:
    mention, weight = "hypertensiv disease", 0.7
    dense = {
        c.matched_name: c.score for c in linker.link([mention], 50, mode="dense", collapse=False)[0]
    }
    sparse = {
        c.matched_name: c.score
        for c in linker.link([mention], 50, mode="sparse", collapse=False)[0]
    }
    hybrid = linker.link([mention], 5, mode="hybrid", weight=weight, collapse=False)[0]
    assert [c.score for c in hybrid] == sorted((c.score for c in hybrid), reverse=True)
    for candidate in hybrid:
        if candidate.matched_name in dense and candidate.matched_name in sparse:
            expected = dense[candidate.matched_name] + weight * sparse[candidate.matched_name]
            assert candidate.score == pytest.approx(expected, abs=1e-4)


def test_sparse_mode_catches_a_misspelling_and_skips_blank(linker: Linker) -> None:
    found = linker.link(["paracetamoll", "  "], k=2, mode="sparse")
    assert found[0][0].concept_id == "XMSHD000082" and found[1] == []


def test_hybrid_honours_the_type_filter(linker: Linker) -> None:
    types = {c.types for c in linker.link(["fever"], k=10, mode="dense")[0]}
    wanted = next(iter(next(t for t in types if t)))
    found = linker.link(["fever"], k=5, mode="hybrid", types=[wanted])[0]
    assert found and all(wanted in c.types for c in found)


def test_modes_need_the_sparse_part_and_a_known_name(
    tiny_index: ConceptIndex, tiny_encoder: Encoder, linker: Linker
) -> None:
    plain = Linker(tiny_encoder, tiny_index)
    assert plain.link(["fever"], k=1)[0]  # dense by default without a sparse part
    with pytest.raises(IndexFormatError, match="reindex"):
        plain.link(["fever"], k=1, mode="hybrid")
    with pytest.raises(ValueError, match="unknown mode"):
        linker.link(["fever"], k=1, mode="bm25")


def test_hybrid_with_w_zero_ranks_as_dense_even_among_equal_names(
    tmp_path: Path, tiny_encoder: Encoder
) -> None:
    """Names equal up to case (MEDIC has many across concepts) tie on both scores: hybrid keeps
    FAISS's order for them, so w=0 gives exactly the dense ranking."""
    concepts = [
        Concept(f"C{i}", name) for i, name in enumerate(["FEVER", "fever", "Fever", "gout"])
    ]
    index = build_index(concepts, tiny_encoder, tmp_path / "ties", progress=False, sparse=True)
    linker = Linker(tiny_encoder, index)
    dense = linker.link(["fever", "gout"], k=4, mode="dense")
    hybrid = linker.link(["fever", "gout"], k=4, mode="hybrid", weight=0.0)
    assert [[c.concept_id for c in r] for r in hybrid] == [[c.concept_id for c in r] for r in dense]
    assert [[c.score for c in r] for r in hybrid] == [[c.score for c in r] for r in dense]
