"""The API's input contract (issue 25): ``Linker.link``, ``Annotator`` and ``Linker.from_dir``
take what they document or raise :class:`InputError`, never an AttributeError or a silent
wrong answer."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from entitylink import Annotator, ConceptIndex, Encoder, EntityLinkError, InputError, Linker
from entitylink.linking import inputs
from entitylink.linking.annotate import annotate


@pytest.fixture(scope="module")
def linker(tiny_encoder: Encoder, tiny_index: ConceptIndex) -> Linker:
    return Linker(tiny_encoder, tiny_index)


def test_a_bare_string_is_refused_not_split_into_characters(linker: Linker) -> None:
    with pytest.raises(InputError, match=r"mentions: .*got one str .*\['heart attack'\]"):
        linker.link("heart attack", k=1)  # type: ignore[arg-type]


def test_a_generator_is_read_once_and_linked(linker: Linker) -> None:
    given = linker.link((m for m in ["heart attack", "asthma"]), k=1)
    assert given == linker.link(["heart attack", "asthma"], k=1)
    assert len(given) == 2 and all(len(found) == 1 for found in given)


@pytest.mark.parametrize(
    ("mentions", "message"),
    [
        (["a", None], r"mentions\[1\]: a str is wanted, got NoneType"),
        (("a", "b", 3), r"mentions\[2\]: a str is wanted, got int"),
        ([b"asthma"], r"mentions\[0\]: a str is wanted, got bytes"),
        ({}, "got dict"),
        ({"a": 1}, "got dict"),
        ({"asthma"}, "got set"),
        (b"asthma", "got bytes"),
        (None, "got NoneType"),
        (5, "got int"),
    ],
)
def test_bad_mentions_name_position_and_type(linker: Linker, mentions: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        linker.link(mentions)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"k": "5"}, "k must be a whole number of at least 1, got str"),
        ({"k": True}, "got bool"),
        ({"k": 2.0}, "got float"),
        ({"k": 0}, "k must be at least 1, got 0"),
        ({"threshold": math.nan}, "threshold must be a finite number, got nan"),
        ({"threshold": math.inf}, "finite"),
        ({"threshold": "0.5"}, "got str"),
        ({"threshold": False}, "got bool"),
        ({"weight": -1.0}, "weight must be at least 0.0"),
        ({"weight": math.nan}, "weight must be a finite number"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"types": 5}, "types: a collection of strings is wanted, got int"),
        ({"types": [1]}, "each type must be a str, got int"),
        ({"mode": "fuzzy"}, "unknown mode 'fuzzy'"),
    ],
)
def test_bad_arguments_are_input_errors(
    linker: Linker, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message) as raised:
        linker.link(["asthma"], **arguments)
    assert isinstance(raised.value, ValueError)  # old `except ValueError` callers still work


def test_numpy_numbers_are_numbers(linker: Linker) -> None:
    found = linker.link(["asthma"], k=np.int64(2), threshold=np.float32(-1.0))
    assert len(found[0]) == 2


def test_threshold_nan_no_longer_returns_every_candidate(linker: Linker) -> None:
    with pytest.raises(InputError):
        linker.link(["asthma"], k=3, threshold=float("nan"))


@pytest.mark.parametrize("path", [None, 5, b"indexes/sample", ""])
def test_from_dir_wants_a_path(path: Any) -> None:
    with pytest.raises(InputError, match="Linker.from_dir: a directory path"):
        Linker.from_dir(path)


def test_from_dir_takes_str_and_path(tiny_index: ConceptIndex) -> None:
    for path in (str(tiny_index.path), Path(tiny_index.path)):
        assert Linker.from_dir(path, backend="torch").index.path


def test_annotator_checks_its_texts_and_arguments(linker: Linker) -> None:
    annotator = Annotator(linker)
    with pytest.raises(InputError, match="texts: .*got one str"):
        annotator.annotate("Asthma.")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"texts\[1\]: a str is wanted, got NoneType"):
        annotator.annotate(["Asthma.", None])  # type: ignore[list-item]
    assert len(annotator.annotate(t for t in ["Asthma.", "Heart attack."])) == 2
    with pytest.raises(InputError, match="texts: .*got one str"):
        annotate("Asthma.", linker)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="k must be"):
        Annotator(linker, k="5")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="threshold must be a finite"):
        Annotator(linker, threshold=math.nan)


def test_the_check_is_cheap() -> None:
    mentions = ["heart attack"]
    started = time.perf_counter()
    for _ in range(10_000):
        inputs.texts(mentions)
        inputs.count(5, "k")
        inputs.score(0.5, "threshold")
    per_call = (time.perf_counter() - started) / 10_000
    assert per_call < 20e-6  # a few µs at most on a loaded machine; the link path is ~2 ms


_objects = st.one_of(
    st.text(max_size=12),
    st.none(),
    st.integers(),
    st.floats(),
    st.binary(max_size=4),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
_mentions = st.one_of(
    st.lists(_objects, max_size=4),
    st.lists(st.text(max_size=20), max_size=4),
    st.lists(_objects, max_size=4).map(tuple),
    st.lists(st.text(max_size=20), max_size=4).map(iter),
    _objects,
)
_numbers = st.one_of(st.integers(-3, 30), st.floats(), st.none(), st.text(max_size=2))


@given(mentions=_mentions, k=_numbers, threshold=_numbers)
@example(mentions=["0"], k=1, threshold=3.4028235677973366e38)  # beyond float32's range
def test_any_input_gives_results_or_the_librarys_error(
    linker: Linker, mentions: Any, k: Any, threshold: Any
) -> None:
    try:
        found = linker.link(mentions, k=k, threshold=threshold)
    except EntityLinkError:
        return
    assert all(isinstance(candidates, list) for candidates in found)
    assert all(len(candidates) <= k for candidates in found)
