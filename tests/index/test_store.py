from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from entitylink import Concept
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
    with pytest.raises(sa.exc.IntegrityError):
        store.add(CONCEPTS[:1], 4)
