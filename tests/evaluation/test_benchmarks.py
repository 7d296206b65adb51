from __future__ import annotations

import re
from pathlib import Path

import pytest

from entitylink import BenchmarkFormatError
from entitylink.evaluation.benchmarks import (
    load_benchmark,
    normalize_id,
    read_concept_file,
    read_mention_tsv,
    read_pubtator,
    split_ids,
)
from tests.paths import SAMPLES, shared_path


def test_normalize_id() -> None:
    assert normalize_id("MESH:D012345") == normalize_id("D012345") == "D012345"
    assert normalize_id("OMIM:613097") == normalize_id(" 613097") == "OMIM:613097"
    assert split_ids("D011125|D001793") == ("D011125", "D001793")
    assert split_ids("D001943+D001932") == ("D001943", "D001932")


def test_sample_pubtator() -> None:
    bench = read_pubtator(SAMPLES / "benchmark.pubtator")
    assert len(bench.mentions) == 22 and len(bench.documents) == 2
    first = bench.mentions[0]
    assert (first.text, first.gold, first.doc_id, first.start, first.end, first.type) == (
        "Myocardial infarction",
        ("C0027051",),
        "90000001",
        0,
        21,
        "Disease",
    )
    text = bench.documents["90000001"]
    assert all(text[m.start : m.end] == m.text for m in bench.mentions if m.doc_id == "90000001")
    composite = [m for m in bench.mentions if len(m.gold) > 1]
    assert [m.text for m in composite] == ["Breast and lung cancer"]
    chemicals = read_pubtator(SAMPLES / "benchmark.pubtator", types={"Chemical"})
    assert {m.type for m in chemicals.mentions} == {"Chemical"} and len(chemicals.mentions) == 7


def test_broken_pubtator_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("1|t|Title\n1|a|Abstract\n1\t0\t5\tTitle\n")
    with pytest.raises(BenchmarkFormatError, match=r"bad.txt:3: expected"):
        read_pubtator(path)


def test_concept_file_and_tsv(tmp_path: Path) -> None:
    concept = tmp_path / "x.concept"
    concept.write_text("9949209||1|12||Disease||copper toxicosis||D003120|OMIM:215600\n")
    (mention,) = read_concept_file(concept).mentions
    assert (mention.text, mention.gold, mention.start) == (
        "copper toxicosis",
        ("D003120", "OMIM:215600"),
        1,
    )
    bench = read_mention_tsv(SAMPLES / "benchmark.tsv")
    assert [m.gold for m in bench.mentions][:2] == [("C0027051",), ("C0011860",)]
    assert bench.documents["line 2"].startswith("Type 2 diabetes mellitus (T2DM)")
    assert bench.mentions[-1].gold == ("-1",)
    bad = tmp_path / "bad.tsv"
    bad.write_text("only a mention\n")
    with pytest.raises(BenchmarkFormatError, match="bad.tsv:1"):
        read_mention_tsv(bad)


def test_load_benchmark_by_path_detects_the_format() -> None:
    assert len(load_benchmark(SAMPLES / "benchmark.pubtator").documents) == 2
    assert len(load_benchmark(SAMPLES / "benchmark.tsv").mentions) == 6
    with pytest.raises(BenchmarkFormatError, match="not a named benchmark"):
        load_benchmark("no-such-benchmark")


@pytest.mark.parametrize(
    ("name", "split", "mentions", "documents", "multi", "nil"),
    [
        ("ncbi-disease", "train", 5134, 592, 115, 0),  # 5145 less the duplicated PMID 8528200
        ("ncbi-disease", "dev", 787, 100, 30, 0),
        ("ncbi-disease", "test", 960, 100, 15, 0),
        ("bc5cdr-disease", "test", 4424, 500, 63, 61),
        ("bc5cdr-chemical", "test", 5385, 500, 12, 30),
    ],
)
def test_real_corpora(
    name: str, split: str, mentions: int, documents: int, multi: int, nil: int
) -> None:
    shared_path("benchmarks")
    bench = load_benchmark(name, split)
    assert len(bench.mentions) == mentions and len(bench.documents) == documents
    assert sum(len(m.gold) > 1 for m in bench.mentions) == multi
    assert sum(m.gold == ("-1",) for m in bench.mentions) == nil


def test_first_real_documents() -> None:
    shared_path("benchmarks")
    ncbi = load_benchmark("ncbi-disease", "test")
    first = ncbi.mentions[0]
    assert (first.doc_id, first.text, first.gold) == (
        "9949209",
        "copper toxicosis",
        ("OMIM:215600",),
    )
    assert ncbi.documents["9949209"].startswith("Genetic mapping of the copper toxicosis locus")
    cdr = load_benchmark("bc5cdr-disease", "test")
    composite = next(m for m in cdr.mentions if m.components)
    assert (composite.text, composite.gold, composite.components) == (
        "hemorrhagic cystitis",
        ("D006470", "D003556"),
        ("hemorrhagic", "cystitis"),
    )


@pytest.mark.parametrize("name", ["bench.pubtator", "bench.tsv", "bench.concept"])
def test_bytes_that_are_not_utf8_name_file_and_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"heart attack\tD009203\nfi\xe8vre\tD005334\n")
    with pytest.raises(BenchmarkFormatError, match=re.escape(f"{path}:2: undecodable bytes")):
        load_benchmark(path)


def test_concept_file_with_bad_offsets(tmp_path: Path) -> None:
    path = tmp_path / "bench.concept"
    path.write_text("1||x|4||Disease||fever||D005334\n")
    with pytest.raises(BenchmarkFormatError, match=re.escape(f"{path}:1: expected 'PMID||")):
        load_benchmark(path)
