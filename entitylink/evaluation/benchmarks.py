"""Benchmark readers: PubTator corpora, BioSyn ``.concept`` files, plain TSV; a registry of names.

>>> bench = load_benchmark("ncbi-disease", "test")                     # doctest: +SKIP
>>> len(bench.mentions), bench.mentions[0].gold                        # doctest: +SKIP
(960, ('D009386',))

Gold IDs are normalised by :func:`normalize_id`: ``MESH:D012345`` and ``D012345`` are one ID,
so are ``HP:0000118``, ``HP_0000118`` and its OBO PURL; OMIM IDs are written ``OMIM:123456``
whether the source wrote the prefix or not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BenchmarkFormatError
from ..ids import canonical_id
from ..records import Mention

_ID_SEPARATORS = re.compile(r"[|+]")


def normalize_id(concept_id: str) -> str:
    """The form under which gold and dictionary IDs are compared: :func:`~entitylink.ids.
    canonical_id` (``HP_0000118`` and its PURL are ``HP:0000118``, ``MESH:D012345`` is
    ``D012345``), and bare numbers are OMIM's, as in MEDIC and the NCBI-disease gold.

    >>> normalize_id(" MESH:D012345"), normalize_id("613097"), normalize_id("OMIM:613097")
    ('D012345', 'OMIM:613097', 'OMIM:613097')
    """
    concept_id = canonical_id(concept_id)
    return f"OMIM:{concept_id}" if concept_id.isdigit() else concept_id


def split_ids(field_value: str) -> tuple[str, ...]:
    """``D1|D2`` or ``D1+D2`` -> normalised IDs, in order."""
    return tuple(normalize_id(i) for i in _ID_SEPARATORS.split(field_value) if i.strip())


def id_set(concept_id: str, alt_ids: tuple[str, ...] = ()) -> frozenset[str]:
    """Every normalised ID of a concept: its ID (which may join several with ``|``) and alt IDs.

    >>> sorted(id_set("604715", ("D054971",)))
    ['D054971', 'OMIM:604715']
    """
    return frozenset(split_ids("|".join((concept_id, *alt_ids))))


@dataclass(frozen=True)
class Benchmark:
    """The mentions of one split, with the text of their documents (for abbreviations)."""

    name: str
    split: str
    mentions: tuple[Mention, ...]
    documents: dict[str, str] = field(default_factory=dict)


def _read_text(path: Path) -> str:
    """The file's text; bytes that are not UTF-8 are an error naming the file and line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BenchmarkFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BenchmarkFormatError(
            f"{path}:{line}: undecodable bytes (not UTF-8): {exc.reason}"
        ) from None


def _pubtator_blocks(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """``(first line number, line, fields)`` of every non-blank line."""
    text = _read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line, line.split("\t")


def read_pubtator(
    path: str | Path, types: Collection[str] | None = None, name: str | None = None
) -> Benchmark:
    """Read a PubTator file: ``PMID|t|title``, ``PMID|a|abstract``, then annotation lines
    ``PMID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>ids[<TAB>components]``.

    ``types`` keeps annotations of these types (``{"Chemical"}``); relation lines (``CID``) are
    skipped; a PMID seen twice keeps its first block only, as BioSyn's preprocessing does.
    """
    path = Path(path)
    titles: dict[str, str] = {}
    abstracts: dict[str, str] = {}
    mentions: list[Mention] = []
    closed: set[str] = set()  # documents whose annotations are complete
    current = ""
    for number, line, fields in _pubtator_blocks(path):
        head = re.match(r"^(\d+)\|([ta])\|(.*)$", line)
        if head:
            pmid, kind, text = head.groups()
            if pmid != current and current:
                closed.add(current)
            current = pmid
            if pmid in closed:
                continue
            (titles if kind == "t" else abstracts)[pmid] = text
        elif len(fields) == 4 and fields[1] == "CID":
            continue
        elif len(fields) in (6, 7) and fields[1].isdecimal() and fields[2].isdecimal():
            pmid = fields[0]
            if pmid in closed or (types is not None and fields[4] not in types):
                continue
            components = tuple(fields[6].split("|")) if len(fields) == 7 else ()
            mentions.append(
                Mention(
                    text=fields[3],
                    gold=split_ids(fields[5]) if fields[5].strip() != "-1" else ("-1",),
                    doc_id=pmid,
                    start=int(fields[1]),
                    end=int(fields[2]),
                    type=fields[4],
                    components=components,
                )
            )
        else:
            raise BenchmarkFormatError(
                f"{path}:{number}: expected 'PMID|t|text', 'PMID|a|text' or a tab-separated "
                f"annotation 'PMID start end mention type ids', found {line[:80]!r}"
            )
    documents = {p: f"{titles.get(p, '')} {abstracts.get(p, '')}".strip() for p in titles}
    return Benchmark(name or path.stem, "", tuple(mentions), documents)


def read_concept_file(path: str | Path, name: str | None = None) -> Benchmark:
    """BioSyn's ``.concept`` lines: ``PMID||start|end||type||mention||gold_ids``."""
    path = Path(path)
    mentions = []
    for number, line, _ in _pubtator_blocks(path):
        parts = line.split("||")
        start, _, end = parts[1].partition("|") if len(parts) == 5 else ("", "", "")
        if not (start.strip().isdecimal() and end.strip().isdecimal()):
            raise BenchmarkFormatError(
                f"{path}:{number}: expected 'PMID||start|end||type||mention||gold_ids'"
            )
        mentions.append(
            Mention(parts[3], split_ids(parts[4]), parts[0], int(start), int(end), parts[2])
        )
    return Benchmark(name or path.stem, "", tuple(mentions))


def read_mention_tsv(path: str | Path, name: str | None = None) -> Benchmark:
    """A plain ``mention<TAB>gold_ids[<TAB>context]`` file; the context resolves abbreviations."""
    path = Path(path)
    mentions, documents = [], {}
    for number, _line, fields in _pubtator_blocks(path):
        if len(fields) not in (2, 3) or not fields[0].strip() or not split_ids(fields[1]):
            raise BenchmarkFormatError(
                f"{path}:{number}: expected 'mention<TAB>gold_ids[<TAB>context]'"
            )
        doc_id = f"line {number}"
        if len(fields) == 3:
            documents[doc_id] = fields[2]
        mentions.append(Mention(fields[0].strip(), split_ids(fields[1]), doc_id))
    return Benchmark(name or path.stem, "", tuple(mentions), documents)


@dataclass(frozen=True)
class BenchmarkSpec:
    """Where a named benchmark's files are, relative to the data root, and what links them."""

    files: dict[str, str]
    types: frozenset[str] | None
    vocabulary: tuple[str, ...]
    typos: str | None = None


BENCHMARKS: dict[str, BenchmarkSpec] = {
    "ncbi-disease": BenchmarkSpec(
        {
            "train": "benchmarks/ncbi-disease/NCBItrainset_corpus.txt",
            "dev": "benchmarks/ncbi-disease/NCBIdevelopset_corpus.txt",
            "test": "benchmarks/ncbi-disease/NCBItestset_corpus.txt",
        },
        None,
        ("vocab/ctd/medic_06Jul2012.txt",),
        "vocab/ctd/ncbi-spell-check.txt",
    ),
    **{
        f"bc5cdr-{kind.lower()}": BenchmarkSpec(
            {
                "train": "benchmarks/bc5cdr/CDR_TrainingSet.PubTator.txt",
                "dev": "benchmarks/bc5cdr/CDR_DevelopmentSet.PubTator.txt",
                "test": "benchmarks/bc5cdr/CDR_TestSet.PubTator.txt",
            },
            frozenset({kind}),
            vocabulary,
        )
        for kind, vocabulary in (
            ("Disease", ("vocab/ctd/medic_06Jul2012.txt",)),
            (
                "Chemical",
                (
                    "vocab/mesh/mesh_id_label_mappings.tsv",
                    "vocab/mesh/mesh_supp_id_label_mappings.tsv",
                ),
            ),
        )
    },
}


def data_root() -> Path:
    """Where the named benchmarks' files are: ``$ENTITYLINK_DATA``, else ``../shared/data``
    beside the working directory or beside this checkout."""
    candidates = [Path(os.environ["ENTITYLINK_DATA"])] if "ENTITYLINK_DATA" in os.environ else []
    candidates += [
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[2] / "shared" / "data",
    ]
    for candidate in candidates:
        if (candidate / "benchmarks").is_dir():
            return candidate
    raise BenchmarkFormatError(
        "benchmark data not found: set ENTITYLINK_DATA to the folder holding benchmarks/ and "
        f"vocab/ (looked in {', '.join(str(c) for c in candidates)}), or pass a file path"
    )


def load_benchmark(name_or_path: str | Path, split: str = "test") -> Benchmark:
    """A named benchmark's split (:data:`BENCHMARKS`), or a file: PubTator, ``.concept``, TSV."""
    if str(name_or_path) in BENCHMARKS:
        spec = BENCHMARKS[str(name_or_path)]
        if split not in spec.files:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(spec.files)}")
        bench = read_pubtator(data_root() / spec.files[split], spec.types, str(name_or_path))
        return Benchmark(bench.name, split, bench.mentions, bench.documents)
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(BENCHMARKS)
        raise BenchmarkFormatError(f"{path}: no such file, and not a named benchmark ({known})")
    if path.suffix == ".concept":
        return read_concept_file(path)
    first = next((line for line in _read_text(path).splitlines() if line.strip()), "")
    if re.match(r"^\d+\|[ta]\|", first):
        return read_pubtator(path)
    return read_mention_tsv(path)
