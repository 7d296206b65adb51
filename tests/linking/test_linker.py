from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from entitylink import (
    Concept,
    ConceptIndex,
    Encoder,
    IndexFormatError,
    Linker,
    ModelLoadError,
    build_index,
)
from tests.index.manifests import restamp


@pytest.fixture(scope="module")
def linker(sample_index: ConceptIndex, minilm: Encoder) -> Linker:
    return Linker(minilm, sample_index)


def test_exact_synonym_links_to_its_concept(linker: Linker) -> None:
    mentions = ["heart attack", "high blood pressure", "NIDDM", "Paracetamol", "5-FU"]
    expected = ["C0027051", "C0020538", "C0011860", "XMSHD000082", "XMSHD005472"]
    results = linker.link(mentions, k=5)
    assert [r[0].concept_id for r in results] == expected
    for mention, result in zip(mentions, results, strict=True):
        assert result[0].matched_name.lower() == mention.lower()
        assert result[0].score == pytest.approx(1.0, abs=1e-4)


def test_candidate_carries_canonical_name_and_types(linker: Linker) -> None:
    best = linker.link(["heart attack"], k=1)[0][0]
    assert (best.name, best.matched_name, best.types) == (
        "myocardial infarction",
        "heart attack",
        ("T047",),
    )


def test_k_distinct_concepts_best_first(linker: Linker) -> None:
    (result,) = linker.link(["diabetes"], k=10)
    ids = [c.concept_id for c in result]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert [c.score for c in result] == sorted((c.score for c in result), reverse=True)


def test_aliases_collapse_to_the_best_name(linker: Linker) -> None:
    # type 2 diabetes has many names close to this mention; it must appear once.
    (result,) = linker.link(["type 2 diabetes mellitus"], k=5)
    assert [c.concept_id for c in result].count("C0011860") == 1


def test_empty_input_does_not_touch_the_model(sample_index: ConceptIndex) -> None:
    class Untouchable:
        dim = 384

        def config(self) -> dict[str, object]:
            return dict(sample_index.manifest.encoder)

        def encode(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("the model was called")

        def key(self, text: str) -> str:
            return text

        def keys_are_exact(self) -> bool:
            return True

    linker = Linker(Untouchable(), sample_index)  # type: ignore[arg-type]
    assert linker.link([]) == []
    assert linker.link(["", "   "]) == [[], []]


def test_blank_mentions_get_empty_results_in_place(linker: Linker) -> None:
    results = linker.link(["", "asthma", "  \t"], k=3)
    assert results[0] == [] and results[2] == []
    assert results[1][0].name == "asthma"


def test_long_mention_is_truncated_not_refused(linker: Linker) -> None:
    (result,) = linker.link(["asthma " + "with many further words " * 20], k=3)
    assert len(result) == 3


def test_threshold_gives_nil(linker: Linker) -> None:
    assert linker.link(["zebra crossing at the station"], k=5, threshold=0.99) == [[]]
    loose = linker.link(["asthma"], k=5, threshold=0.99)[0]
    assert [c.name for c in loose] == ["asthma"]


def test_semantic_type_filter_keeps_fetching(linker: Linker) -> None:
    (chemicals,) = linker.link(["heart attack"], k=5, types={"T121"})
    assert len(chemicals) == 5
    assert all("T121" in c.types for c in chemicals)
    assert linker.link(["heart attack"], k=5, types={"T999"}) == [[]]


def test_type_filter_acts_inside_the_search(
    linker: Linker, monkeypatch: pytest.MonkeyPatch
) -> None:
    unfiltered = linker.link(["heart attack"], k=40)[0]
    searched: list[tuple[int, Any]] = []
    search = linker.index.vectors.search

    def spy(queries: Any, k: int, *, only: Any = None) -> Any:
        searched.append((k, only))
        return search(queries, k, only=only)

    monkeypatch.setattr(linker.index.vectors, "search", spy)
    (chemicals,) = linker.link(["heart attack"], k=3, types={"T121"})
    assert [c.concept_id for c in chemicals] == [
        c.concept_id for c in unfiltered if "T121" in c.types
    ][:3]
    # every search covers the chemicals' names only (no unfiltered over-fetching)
    assert searched and all(only is not None for _, only in searched)
    k, only = searched[0]
    assert k == 3 * 4 and len(only) < len(linker.index.vectors)


def test_types_on_an_index_without_types_say_so_and_cost_nothing(
    tmp_path: Path, tiny_encoder: Encoder, caplog: pytest.LogCaptureFixture
) -> None:
    concepts = [Concept("D1", "fever", ("pyrexia",)), Concept("D2", "asthma")]
    index = build_index(concepts, tiny_encoder, tmp_path / "untyped", progress=False)

    class Unused(Encoder):
        def encode(self, *args: object, **kwargs: object) -> Any:
            raise AssertionError("no mention needs encoding")

    untyped = Linker(tiny_encoder, index)
    untyped.encoder = Unused.__new__(Unused)
    with caplog.at_level(logging.WARNING):
        assert untyped.link(["fever", "asthma"], k=3, types={"T047"}) == [[], []]
        assert untyped.link(["fever"], k=3, types={"T047"}) == [[]]
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "has no semantic types at all" in warning  # once, not once per call


def test_bad_k(linker: Linker) -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        linker.link(["asthma"], k=0)


def test_from_dir_rebuilds_the_encoder(sample_index: ConceptIndex) -> None:
    linker = Linker.from_dir(sample_index.path, backend="torch", device="cpu")
    assert linker.encoder.config() == sample_index.manifest.encoder
    assert linker.link(["Sunitinib"], k=1)[0][0].name == "Sunitinib"


def test_encoder_of_another_model_is_refused(
    sample_index: ConceptIndex, minilm: Encoder, tmp_path: Path
) -> None:
    other = tmp_path / "other"  # the same model under another name, as a local copy would be
    shutil.copytree(minilm.model_name if Path(minilm.model_name).is_dir() else _local(), other)
    encoder = Encoder(str(other), pooling="cls", device="cpu")
    with pytest.raises(IndexFormatError, match="built with encoder .*'pooling': 'mean'"):
        Linker(encoder, sample_index)
    linker = Linker(encoder, sample_index, allow_mismatch=True)  # told: the caller knows
    assert len(linker.link(["fever"], k=1)[0]) == 1


def _local() -> str:
    from entitylink.encoding.encoder import packaged_model_dir

    directory = packaged_model_dir()
    assert directory is not None
    return str(directory)


def test_from_dir_names_the_fix_when_the_model_is_gone(
    sample_index: ConceptIndex, tmp_path: Path
) -> None:
    copy = tmp_path / "index"
    shutil.copytree(sample_index.path, copy)
    restamp(copy, lambda manifest: manifest["encoder"].update(model="/gone/model-dir"))
    with pytest.raises(ModelLoadError) as error:
        Linker.from_dir(copy)
    message = str(error.value)
    assert "'/gone/model-dir', the encoder this index was built with" in message
    assert "rebuild the index" in message and "--model DIR" in message


def test_encoder_of_another_dimension_is_refused(
    sample_index: ConceptIndex, tiny_encoder: Encoder
) -> None:
    with pytest.raises(IndexFormatError, match="dimension 384"):
        Linker(tiny_encoder, sample_index)


def test_one_type_given_as_a_string_is_one_type(linker: Linker) -> None:
    as_string = linker.link(["heart attack"], k=3, types="T121")
    assert as_string[0] and as_string == linker.link(["heart attack"], k=3, types={"T121"})
