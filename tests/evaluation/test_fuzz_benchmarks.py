"""Fuzzed benchmark readers: arbitrary bytes and damaged PubTator, ``.concept`` and TSV files
give a Benchmark or a BenchmarkFormatError, never another exception and never a hang."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from entitylink import Benchmark, BenchmarkFormatError, load_benchmark
from entitylink.evaluation.benchmarks import read_concept_file, read_mention_tsv, read_pubtator

PUBTATOR = (
    "10021369|t|Identification of APC2, a homologue of the adenomatous polyposis coli tumour "
    "suppressor.\n"
    "10021369|a|The adenomatous polyposis coli (APC) tumour-suppressor protein controls ...\n"
    "10021369\t43\t76\tadenomatous polyposis coli tumour\tModifier\tD011125\n"
    "10021369\t95\t98\tAPC\tModifier\tD011125|OMIM:175100\n"
    "10021369\tCID\tD003000\tD006973\n"
    "10021369\t100\t120\tbreast and ovarian cancer\tDisease\tD001943|D010051"
    "\tbreast cancer|ovarian cancer\n"
    "\n"
)
CONCEPT = "10021369||43|76||Modifier||adenomatous polyposis coli tumour||D011125\n"
TSV = "heart attack\tD009203\tA heart attack (MI) ...\nNIDDM\tMESH:D003924|125853\n"
VALID = [("bench.pubtator", PUBTATOR), ("bench.concept", CONCEPT), ("bench.tsv", TSV)]
READERS = {"pubtator": read_pubtator, "concept": read_concept_file, "tsv": read_mention_tsv}
SCRATCH = Path(tempfile.mkdtemp(prefix="entitylink-fuzz-"))
NASTY = st.sampled_from(
    [b"|", b"||", b"\t", b"\n", b"\r", b"-1", b"+", b"|t|", b"|a|", b"\x00", b"\xff", b"9" * 30]
)


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    name, text = draw(st.sampled_from(VALID))
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "repeat"]))
        if action == "insert":
            data[at:at] = draw(NASTY | st.binary(max_size=6))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 30))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 60))]
    return name, bytes(data)


def _check(path: Path, reader: str | None) -> None:
    try:
        bench = load_benchmark(path) if reader is None else READERS[reader](path)
    except BenchmarkFormatError:
        return
    assert isinstance(bench, Benchmark)
    for mention in bench.mentions:
        assert isinstance(mention.text, str) and all(isinstance(g, str) for g in mention.gold)


@given(data=st.binary(max_size=1500), reader=st.sampled_from([None, *READERS]))
def test_arbitrary_bytes(data: bytes, reader: str | None) -> None:
    path = SCRATCH / "bench.txt"
    path.write_bytes(data)
    _check(path, reader)


@given(case=damaged(), reader=st.sampled_from([None, *READERS]))
def test_damaged_files(case: tuple[str, bytes], reader: str | None) -> None:
    name, data = case
    path = SCRATCH / name
    path.write_bytes(data)
    _check(path, reader)
