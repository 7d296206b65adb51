"""Query vectors from the index, the cache or the encoder: the same results as encoding all."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tracemalloc
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from entitylink import ConceptIndex, Encoder, Linker, build_index, read_vocabulary
from entitylink.index.layout import CONCEPTS
from entitylink.linking.queries import QueryVectors
from tests.paths import SAMPLES, shared_path


def same_results(a: Linker, b: Linker, mentions: list[str], k: int = 10) -> None:
    """Equal rankings, scores within float32 rounding (batches pad differently)."""
    for x, y in zip(a.link(mentions, k=k), b.link(mentions, k=k), strict=True):
        assert [c.concept_id for c in x] == [c.concept_id for c in y]
        assert np.allclose([c.score for c in x], [c.score for c in y], atol=2e-5)


def mentions_of(index: ConceptIndex, every: int = 3) -> list[str]:
    """Names as written, in other cases and spacing, and mentions that are no name."""
    names = index.store.names(0, len(index.vectors))
    respaced = [f"  {n.upper().replace(' ', '   ')} " for n in names[1::11]]
    return [*names[::every], *respaced, "heart attacks in the young", "sugar disease"]


def test_stored_vectors_give_the_results_of_encoding(
    sample_index: ConceptIndex, minilm: Encoder
) -> None:
    fast = Linker(minilm, sample_index)
    slow = Linker(minilm, sample_index, index_vectors=False, query_cache=0)
    assert fast.queries.from_index and not slow.queries.from_index
    mentions = mentions_of(sample_index)
    same_results(fast, slow, mentions)
    counts = fast.queries.counts
    assert counts.encoded == 2 and counts.from_index == len(mentions) - 2
    assert slow.queries.counts.from_index == 0


def test_on_a_medic_subset_with_hnsw(tmp_path: Path, minilm: Encoder) -> None:
    """HNSW keeps its vectors exactly too; a real vocabulary's names, casing and punctuation."""
    medic = shared_path("vocab", "ctd", "medic_06Jul2012.txt")
    concepts = list(islice(read_vocabulary(medic), 400))
    index = build_index(concepts, minilm, tmp_path / "medic", spec="HNSW32", progress=False)
    mentions = mentions_of(index, every=4)
    fast = Linker(minilm, index)
    same_results(fast, Linker(minilm, index, index_vectors=False, query_cache=0), mentions)
    assert fast.queries.counts.avoided > 0.9


def test_approximate_specs_and_old_indexes_encode_every_mention(
    tmp_path: Path,
    tiny_encoder: Encoder,
    tiny_index: ConceptIndex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    concepts = read_vocabulary(SAMPLES / "MRCONSO.RRF")
    sq8 = build_index(concepts, tiny_encoder, tmp_path / "sq8", spec="SQ8", progress=False)
    old = tmp_path / "old"
    shutil.copytree(tiny_index.path, old)
    with sqlite3.connect(old / CONCEPTS) as connection:  # as built before name keys
        connection.execute("DROP TABLE name_keys")
    with caplog.at_level(logging.INFO, logger="entitylink.linking.queries"):
        assert not QueryVectors(tiny_encoder, sq8, cache_size=0).from_index
        assert not QueryVectors(tiny_encoder, ConceptIndex.load(old), cache_size=0).from_index
    assert "keeps approximate vectors" in caplog.text and "no name keys" in caplog.text


def test_the_cache_keeps_at_most_its_size(tiny_encoder: Encoder, tiny_index: ConceptIndex) -> None:
    queries = QueryVectors(tiny_encoder, tiny_index, cache_size=16)
    texts = [f"made up mention number {i}" for i in range(64)]
    first = queries(texts[:8])
    assert np.array_equal(queries(texts[:8]), first)  # the same vectors back, from the cache
    assert queries.counts.from_cache == 8 and queries.counts.encoded == 8
    for start in range(0, 64, 8):
        queries(texts[start : start + 8])
    assert len(queries) == 16

    tracemalloc.start()
    try:
        for start in range(0, 400, 50):  # warm up: the cache fills, then only replaces
            queries([f"other mention {i}" for i in range(start, start + 50)])
        before = tracemalloc.take_snapshot()
        for start in range(400, 2400, 50):
            queries([f"other mention {i}" for i in range(start, start + 50)])
        grown = tracemalloc.take_snapshot().compare_to(before, "filename")
    finally:
        tracemalloc.stop()
    assert len(queries) == 16
    held = [stat for stat in grown if stat.traceback[0].filename.endswith("queries.py")]
    assert sum(stat.size_diff for stat in held) < 4096  # 2,000 more mentions, no growth


def test_repeats_in_one_call_are_encoded_once(
    tiny_encoder: Encoder, tiny_index: ConceptIndex
) -> None:
    queries = QueryVectors(tiny_encoder, tiny_index, cache_size=0)
    vectors = queries(["zebra fever", "Zebra  Fever", "zebra fever "])
    assert queries.counts.encoded == 1 and queries.counts.from_cache == 2
    assert np.array_equal(vectors[0], vectors[1]) and np.array_equal(vectors[0], vectors[2])
    alone = tiny_encoder.encode(["zebra fever"])[0]
    assert np.allclose(vectors[0], alone, atol=1e-6)


def test_keys_are_what_the_tokenizer_reads(minilm: Encoder) -> None:
    assert minilm.key("\tHeart\u00a0 ATTACK \n") == "heart attack"
    assert minilm.key("a\x1cb") == "a\x1cb"  # BERT deletes control characters: not a space
    assert minilm.keys_are_exact()
    assert minilm.tokenize([minilm.key(" Heart\u2003attack ")]) == minilm.tokenize(["heart attack"])
