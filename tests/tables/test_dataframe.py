from __future__ import annotations

import pandas as pd
import pytest

from entitylink import ConceptIndex, Encoder, Linker, TableFormatError, link_dataframe
from entitylink.lines import MENTION_CHARS


@pytest.fixture(scope="module")
def linker(minilm: Encoder, sample_index: ConceptIndex) -> Linker:
    return Linker(minilm, sample_index)


@pytest.fixture
def mentions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc": ["d1", "d2", "d3", "d4", "d5"],
            "mention": ["heart attack", None, "asthma", "  ", "heart attack"],
        },
        index=[10, 11, 12, 13, 14],
    )


def test_long_form_keeps_columns_order_and_nulls(linker: Linker, mentions: pd.DataFrame) -> None:
    out = link_dataframe(linker, mentions, k=2)
    assert list(out.columns) == [
        "doc",
        "mention",
        "rank",
        "concept_id",
        "name",
        "matched_name",
        "score",
    ]
    assert out["doc"].tolist() == ["d1", "d1", "d2", "d3", "d3", "d4", "d5", "d5"]
    assert out.index.tolist() == [10, 10, 11, 12, 12, 13, 14, 14]
    assert out["rank"].tolist()[:3] == [1, 2, pd.NA]
    first = out.iloc[0]
    assert (first["concept_id"], first["matched_name"]) == ("C0027051", "heart attack")
    assert first["score"] == pytest.approx(1.0, abs=1e-4)
    for blank in ("d2", "d4"):  # null and blank mentions: one row, null candidate columns
        rows = out[out["doc"] == blank]
        assert len(rows) == 1 and rows["concept_id"].isna().all()
        assert rows["score"].isna().all() and rows["rank"].isna().all()
    assert out[out["doc"] == "d3"]["name"].iloc[0] == "asthma"


def test_duplicates_are_linked_once(linker: Linker, mentions: pd.DataFrame) -> None:
    calls: list[list[str]] = []
    original = linker.link

    def spy(texts: list[str], *args: object, **kwargs: object) -> object:
        calls.append(list(texts))
        return original(texts, *args, **kwargs)  # type: ignore[arg-type]

    linker.link = spy  # type: ignore[method-assign]
    try:
        out = link_dataframe(linker, mentions, k=1)
    finally:
        del linker.link
    assert calls == [["heart attack", "asthma"]]
    assert out["concept_id"].tolist()[0] == out["concept_id"].tolist()[-1] == "C0027051"


def test_nested_form(linker: Linker, mentions: pd.DataFrame) -> None:
    out = link_dataframe(linker, mentions, k=3, nested=True)
    assert out.index.tolist() == mentions.index.tolist()
    assert list(out.columns) == ["doc", "mention", "candidates"]
    assert [len(c) for c in out["candidates"]] == [3, 0, 3, 0, 3]
    best = out["candidates"].iloc[0][0]
    assert set(best) == {"concept_id", "name", "matched_name", "score"}
    assert best["concept_id"] == "C0027051"


def test_threshold_empty_table_and_errors(linker: Linker) -> None:
    out = link_dataframe(linker, pd.DataFrame({"mention": ["asthma"]}), k=5, threshold=1.01)
    assert len(out) == 1 and out["concept_id"].isna().all()
    empty = link_dataframe(linker, pd.DataFrame({"mention": pd.Series([], dtype=str)}))
    assert len(empty) == 0 and "concept_id" in empty.columns
    with pytest.raises(TableFormatError, match=r"no column 'text' in the table \(columns: mention"):
        link_dataframe(linker, pd.DataFrame({"mention": ["x"]}), column="text")
    with pytest.raises(TableFormatError, match="already has column"):
        link_dataframe(linker, pd.DataFrame({"mention": ["x"], "name": ["y"]}))
    renamed = link_dataframe(linker, pd.DataFrame({"mention": ["x"], "name": ["y"]}), prefix="el_")
    assert {"name", "el_name", "el_concept_id"} <= set(renamed.columns)


@pytest.mark.parametrize("values", [[1, 2, 3], [1.5, None, 2.0], [True, False, True]])
def test_a_column_that_is_not_text_is_refused(linker: Linker, values: list[object]) -> None:
    df = pd.DataFrame({"mention": values})
    with pytest.raises(TableFormatError, match="column 'mention' holds .* values .*not text"):
        link_dataframe(linker, df)
    linked = link_dataframe(linker, df.astype({"mention": str}), k=1)  # the fix it names
    assert len(linked) == 3


def test_a_long_mention_is_linked_cut_and_kept_whole_in_the_output(
    linker: Linker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[list[str]] = []
    original = linker.link

    def spy(texts: list[str], *args: object, **kwargs: object) -> object:
        calls.append(list(texts))
        return original(texts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(linker, "link", spy)
    long = "heart attack " + "z" * 5000
    out = link_dataframe(linker, pd.DataFrame({"mention": [long, "asthma"]}), k=1)
    assert calls == [[long[:MENTION_CHARS], "asthma"]]
    assert out["mention"].tolist() == [long, "asthma"]
    assert f"cut 1 mentions longer than {MENTION_CHARS} characters" in caplog.text
