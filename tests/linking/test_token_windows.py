from __future__ import annotations

import pytest

from entitylink.linking.token_windows import cores, stitch, windows


@pytest.mark.parametrize("count", [0, 1, 5, 16, 17, 100, 257])
@pytest.mark.parametrize(("size", "overlap"), [(1, 0), (4, 1), (8, 3), (16, 0), (254, 32)])
def test_windows_cover_every_token_and_stitch_gives_each_its_own_tag(
    count: int, size: int, overlap: int
) -> None:
    spans = windows(count, size, overlap)
    assert all(0 < end - start <= size for start, end in spans)
    assert sorted({t for a, b in spans for t in range(a, b)}) == list(range(count))
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert end - start == overlap  # consecutive windows share exactly `overlap` tokens
    owned = cores(spans, count)
    assert [t for a, b in owned for t in range(a, b)] == list(range(count))
    assert all(a <= c <= d <= b for (a, b), (c, d) in zip(spans, owned, strict=True))
    # each window tags its tokens with their own positions: stitching must give them back
    tags = [list(range(a, b)) for a, b in spans]
    assert stitch(tags, spans, count) == list(range(count))


def test_a_token_is_tagged_by_the_window_where_it_is_farthest_from_an_edge() -> None:
    spans = windows(12, 8, 4)  # (0, 8), (4, 12): tokens 4..7 are in both
    tags = [[0] * 8, [1] * 8]
    assert stitch(tags, spans, 12) == [0] * 6 + [1] * 6


def test_bad_window_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        windows(10, 4, 4)
