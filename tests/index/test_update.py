"""Generations of an index: update (add, remove, replace), compact and tune-search round trips
on the sample vocabulary, through the API and the CLI."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from entitylink import Concept, ConceptIndex, Encoder, Linker, build_index, read_vocabulary
from entitylink.cli import main
from entitylink.errors import IndexFormatError
from entitylink.index.build import reindex, verify_index
from entitylink.index.compact import compact_index
from entitylink.index.layout import RETIRED
from entitylink.index.tuning import tune_search
from entitylink.index.update import update_index
from tests.paths import SAMPLES

MENTIONS = [line for line in (SAMPLES / "mentions.txt").read_text().splitlines() if line.strip()]


def copy_of(index: ConceptIndex, target: Path) -> Path:
    shutil.copytree(index.path, target)
    return target


def ranked(linker: Linker, k: int = 5) -> list[list[tuple[str, float]]]:
    return [[(c.concept_id, round(c.score, 4)) for c in m] for m in linker.link(MENTIONS, k=k)]


def test_updated_flat_index_ranks_as_a_scratch_build(
    tmp_path: Path, minilm: Encoder, sample_index: ConceptIndex
) -> None:
    concepts = list(read_vocabulary(SAMPLES / "MRCONSO.RRF"))
    half = len(concepts) // 2
    build_index(concepts[:half], minilm, tmp_path / "half", progress=False)
    updated = update_index(tmp_path / "half", concepts[half:], encoder=minilm, progress=False)
    assert updated.manifest.generation == 1
    fast = Linker(minilm, updated)  # the added names got their name keys
    assert ranked(fast) == ranked(Linker(minilm, updated, index_vectors=False))
    before = fast.queries.counts.from_index
    fast.link([concepts[-1].names[0]])  # a name the update added
    assert fast.queries.counts.from_index == before + 1
    assert updated.manifest.counts == sample_index.manifest.counts | {"rows": 1658}
    assert updated.manifest.changes["concepts_added"] == len(concepts) - half
    assert ranked(Linker(minilm, updated)) == ranked(Linker(minilm, sample_index))


def test_remove_retires_concepts_for_good_and_compact_keeps_the_rankings(
    tiny_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path
) -> None:
    path = copy_of(tiny_index, tmp_path / "idx")
    before = Linker(tiny_encoder, ConceptIndex.load(path))
    victims = sorted({m[0].concept_id for m in before.link(MENTIONS[:4], k=1)})
    updated = update_index(path, remove=[*victims, "NOT-AN-ID"], progress=False)
    manifest = updated.manifest
    assert (manifest.generation, manifest.parent) == (1, tiny_index.manifest.manifest_checksum)
    assert manifest.changes["concepts_retired"] == len(victims)
    assert manifest.counts["rows"] == 1658 > manifest.counts["names"]
    assert (path / RETIRED).exists() and RETIRED in manifest.checksums
    verify_index(path)
    linker = Linker(tiny_encoder, updated)
    found = {c.concept_id for m in linker.link(MENTIONS, k=100) for c in m}
    assert not found & set(victims)
    assert all(updated.store.get(v) is None for v in victims)
    typed = linker.link(MENTIONS, k=100, types=["T047"])  # a type filter keeps them out too
    assert not {c.concept_id for m in typed for c in m} & set(victims)
    kept = ranked(linker)
    compacted = compact_index(path)
    assert compacted.manifest.generation == 2
    assert compacted.manifest.parent == manifest.manifest_checksum
    names = manifest.counts["names"]
    assert compacted.manifest.counts == {"concepts": 300 - len(victims), "names": names}
    assert len(compacted.vectors) == manifest.counts["names"] and not (path / RETIRED).exists()
    verify_index(path)
    assert ranked(Linker(tiny_encoder, compacted)) == kept
    # compaction renumbered the rows: the name keys followed them, and no key is left dangling
    names = compacted.store.names(0, len(compacted.vectors))
    same_text = [n.upper() for n in names[::5]]  # every one is a name: the stored vector
    fast, slow = (
        Linker(tiny_encoder, compacted),
        Linker(tiny_encoder, compacted, index_vectors=False),
    )
    assert fast.queries.from_index
    assert [[c.concept_id for c in m] for m in fast.link(same_text, k=5)] == [
        [c.concept_id for c in m] for m in slow.link(same_text, k=5)
    ]
    assert fast.queries.counts.encoded == 0


def test_add_names_to_a_concept_and_replace_it(
    tiny_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path
) -> None:
    path = copy_of(tiny_index, tmp_path / "idx")
    old = tiny_index.store.get("C0027051")
    assert old is not None and "cardiac infarct local" not in old.names
    synonym = Concept("C0027051", old.name, aliases=("cardiac infarct local",))
    added = update_index(path, [synonym], progress=False)
    assert added.manifest.changes["names_added"] == 1
    merged = added.store.get("C0027051")
    assert merged is not None and set(merged.names) == {*old.names, "cardiac infarct local"}
    replacement = Concept("C0027051", "heart attack", aliases=("MI local",), types=("T047",))
    replaced = update_index(path, [replacement], replace=True, progress=False)
    now = replaced.store.get("C0027051")
    assert now is not None and (now.name, set(now.names)) == (
        "heart attack",
        {"heart attack", "MI local"},
    )
    assert replaced.manifest.changes["concepts_replaced"] == 1
    assert replaced.manifest.generation == 2
    dropped = set(old.names) - {"heart attack"}
    found = Linker(tiny_encoder, replaced).link(sorted(dropped), k=50)
    assert not {c.matched_name for m in found for c in m if c.concept_id == "C0027051"} & dropped


def test_an_encoder_of_other_settings_is_refused(
    tiny_index: ConceptIndex, minilm: Encoder, tmp_path: Path
) -> None:
    path = copy_of(tiny_index, tmp_path / "idx")
    with pytest.raises(IndexFormatError, match="encoder differs"):
        update_index(path, [Concept("X1", "new thing")], encoder=minilm, progress=False)
    assert ConceptIndex.load(path).manifest.generation == 0  # nothing written


@pytest.mark.parametrize("spec", ["HNSW16", "IVF8,SQ8"])
def test_update_and_compact_approximate_specs(
    sample_index: ConceptIndex,
    minilm: Encoder,
    tmp_path: Path,
    spec: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "idx"
    reindex(sample_index.path, path, spec=spec, progress=False)
    vocabulary = read_vocabulary(SAMPLES / "MRCONSO.RRF")
    names = {" ".join(reversed(n.split())) for c in vocabulary for n in c.names}
    more = [Concept(f"NEW{i}", name) for i, name in enumerate(sorted(names)[:600])]
    with caplog.at_level(logging.WARNING):
        updated = update_index(path, more, encoder=minilm, remove=["C0027051"], progress=False)
    if "IVF" in spec:  # 600 of 1658 trained rows: over the 25 % threshold
        assert (
            updated.manifest.changes["retrain_advised"] is True and "retrain advised" in caplog.text
        )
    linker = Linker(minilm, updated)
    assert "C0027051" not in {c.concept_id for m in linker.link(MENTIONS, k=50) for c in m}
    top = linker.link([more[7].name], k=5)[0]
    assert "NEW7" in {c.concept_id for c in top}
    compacted = compact_index(path)
    assert len(compacted.vectors) == compacted.manifest.counts["names"] == 1658 - 8 + len(more)
    verify_index(path)


def test_tune_search_records_the_smallest_setting(
    tiny_index: ConceptIndex, tiny_encoder: Encoder, tmp_path: Path
) -> None:
    index = reindex(tiny_index.path, tmp_path / "ivf", spec="IVF16,Flat", progress=False)
    result = tune_search(index, tiny_encoder, target_recall=0.9, queries=100)
    assert result["param"] == "nprobe" and result["recall_at_10"] >= 0.9
    assert [step[0] for step in result["ladder"]][-1] == result["value"]
    assert all(step[1] < 0.9 for step in result["ladder"][:-1])
    with pytest.raises(ValueError, match="no search parameter"):
        tune_search(tiny_index, tiny_encoder)
    built = build_index(
        read_vocabulary(SAMPLES / "MRCONSO.RRF"),
        tiny_encoder,
        tmp_path / "ivf-built",
        spec="IVF16,Flat",
        target_recall=0.95,
        progress=False,
    )
    tuning = built.manifest.index["search_tuning"]
    assert built.manifest.index["search_params"] == {"nprobe": tuning["value"]}
    assert tuning["recall_at_10"] >= 0.95 and tuning["p50_ms"] > 0


def test_cli_update_compact_and_tune_search(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_of(tiny_index, tmp_path / "idx")
    ids = tmp_path / "ids.txt"
    ids.write_text("C0027051\n# a comment\n\n")
    assert main(["update", str(path), "--remove", str(ids), "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"]["concepts_retired"] == 1
    vocab = SAMPLES / "vocab.tsv"
    assert main(["update", str(path), "--add", str(vocab), "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["generation"] == 2
    assert main(["compact", str(path), "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["generation"] == 3
    assert main(["verify", str(path)]) == 0
    assert main(["update", str(path), "-q"]) == 1
    assert "nothing to do" in capsys.readouterr().err
    hnsw = tmp_path / "hnsw"
    reindex(tiny_index.path, hnsw, spec="HNSW16", progress=False)
    assert main(["tune-search", str(hnsw), "--queries", "50", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["param"] == "efSearch"
    assert "search_tuning" in ConceptIndex.load(hnsw).manifest.index
