from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from entitylink import Concept, ConceptIndex, IndexFormatError
from entitylink.index.layout import CONCEPTS as CONCEPTS_FILE
from entitylink.index.store import ConceptStore

CONCEPTS = [
    Concept("C1", "Myocardial infarction", ("heart attack", "MI"), ("T047",), "Necrosis.", "MSH"),
    Concept("C2", "Asthma", (), ("T047", "T033"), None, None, ("D001249",)),
]


def test_round_trip(tmp_path: Path) -> None:
    store = ConceptStore.create(tmp_path / "concepts.sqlite")
    assert store.add(CONCEPTS, 0) == 4
    store.finish()
    assert store.counts() == (2, 4)
    assert store.names(1, 4) == ["heart attack", "MI", "Asthma"]
    assert store.get("C1") == CONCEPTS[0]
    assert store.get("C2") == CONCEPTS[1]
    assert store.get("C3") is None
    rows = store.lookup([3, 1, 1])
    assert sorted(rows) == [1, 3]
    assert (rows[1].concept_id, rows[1].name, rows[1].canonical_name) == (
        "C1",
        "heart attack",
        "Myocardial infarction",
    )
    assert rows[3].types == ("T047", "T033")


def test_duplicate_concept_is_refused(tmp_path: Path) -> None:
    store = ConceptStore.create(tmp_path / "concepts.sqlite")
    store.add(CONCEPTS, 0)
    with pytest.raises(sqlite3.IntegrityError):
        store.add(CONCEPTS[:1], 4)


def test_rows_of_types_and_has_types(tmp_path: Path) -> None:
    store = ConceptStore.create(tmp_path / "concepts.sqlite")
    store.add([*CONCEPTS, Concept("C3", "Fever", ("pyrexia",), ("T184",))], 0)
    store.finish()
    assert store.has_types()
    assert store.rows_of_types(["T047"]).tolist() == [0, 1, 2, 3]
    assert store.rows_of_types(["T033", "T184"]).tolist() == [3, 4, 5]
    assert store.rows_of_types(["T04"]).tolist() == []  # whole types only, no prefixes
    assert store.rows_of_types(["%"]).tolist() == [] and store.rows_of_types([]).tolist() == []
    untyped = ConceptStore.create(tmp_path / "untyped.sqlite")
    untyped.add([Concept("D1", "Fever")], 0)
    assert not untyped.has_types()


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("HP:0000118", "HP_0000118"),
        ("HP:0000118", "http://purl.obolibrary.org/obo/HP_0000118"),
        ("HP_0000118", "HP:0000118"),
        ("MESH:D000001", "D000001"),
        ("D000001", "MESH:D000001"),
        ("D000001", " mesh:D000001 "),
        ("OMIM:114480", "omim:114480"),
    ],
)
def test_get_accepts_the_usual_id_variants(tmp_path: Path, stored: str, asked: str) -> None:
    store = ConceptStore.create(tmp_path / "concepts.sqlite")
    store.add([Concept(stored, "Phenotypic abnormality", ("abnormality",))], 0)
    found = store.get(asked)
    assert found is not None and found.concept_id == stored and found.aliases == ("abnormality",)


def corrupt_copy(index: ConceptIndex, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(index.path, target)
    return target


def test_a_corrupt_sqlite_file_is_an_index_format_error_at_load(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    path = corrupt_copy(tiny_index, tmp_path)
    size = (path / CONCEPTS_FILE).stat().st_size
    (path / CONCEPTS_FILE).write_bytes(bytes(range(256)) * (size // 256) + b"\0" * (size % 256))
    with pytest.raises(IndexFormatError, match=r"concepts.sqlite: SQLite cannot read it .*verify"):
        ConceptIndex.load(path)


def test_sqlite_corrupted_after_load_is_an_index_format_error_at_query_time(
    tiny_index: ConceptIndex, tmp_path: Path
) -> None:
    index = ConceptIndex.load(corrupt_copy(tiny_index, tmp_path))
    file = index.path / CONCEPTS_FILE
    data = bytearray(file.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page but the header's
    file.write_bytes(bytes(data))
    index.store.close()
    with pytest.raises(IndexFormatError, match="concepts.sqlite: SQLite cannot read it"):
        index.store.lookup([0, 1, 2])
    with pytest.raises(IndexFormatError, match="concepts.sqlite"):
        index.store.get("C0027051")


def test_the_store_opens_read_only(tiny_index: ConceptIndex) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        tiny_index.store._connection().execute("DELETE FROM names")


def test_the_vocabulary_hash_is_that_of_the_concepts_asdict_json() -> None:
    import hashlib
    import json
    from dataclasses import asdict

    from entitylink.index.store_writer import _hash_concept

    concepts = [
        Concept("C1", "Myocardial infarction", ("heart attack", "MI"), ("T047",), "déf", "MSH"),
        Concept("C2", "x", alt_ids=("OMIM:1",)),
    ]
    fast, reference = hashlib.sha256(), hashlib.sha256()
    for concept in concepts:
        _hash_concept(fast, concept)
        reference.update(json.dumps(asdict(concept), ensure_ascii=False).encode() + b"\n")
    assert fast.hexdigest() == reference.hexdigest()


def test_a_forked_child_opens_its_own_connection(tiny_index: ConceptIndex) -> None:
    """A connection must not cross a fork (Ray, Spark and service workers fork)."""
    import os

    store = tiny_index.store
    parent = store._connection()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new connection, and it reads
        ok = store._connection() is not parent and store.lookup([0])[0].row == 0
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert store._connection() is parent  # the parent keeps its own
