from __future__ import annotations

import pytest

from entitylink.index.specs import (
    IVF_NPROBE_SHARE,
    REFINE_K_FACTOR,
    choose_spec,
    default_search_params,
    estimated_bytes,
    ivf_lists,
    parse_size,
)
from entitylink.index.vectors import VectorIndex


def test_default_search_params() -> None:
    assert default_search_params("Flat") == {}
    assert default_search_params("HNSW32") == {"efSearch": 128}
    assert default_search_params("IVF4096,SQ8") == {"nprobe": 512}
    assert default_search_params("IVF1024,SQ8") == {"nprobe": 128}
    assert default_search_params("IVF8,Flat") == {"nprobe": 8}
    assert default_search_params("IVF64,PQ8x4fs,RFlat") == {"nprobe": 32, "k_factor_rf": 8}


@pytest.mark.parametrize(
    ("names", "dim", "budget", "expected"),
    [
        (50_000, 384, None, ("Flat", {})),
        (200_000, 384, None, ("Flat", {})),
        (200_000, 768, None, ("IVF2048,PQ192x4fs,RFlat", {"nprobe": 1024, "k_factor_rf": 8})),
        (783_967, 384, None, ("IVF4096,PQ96x4fs,RFlat", {"nprobe": 2048, "k_factor_rf": 8})),
        (783_967, 384, "1GB", ("IVF4096,SQ8", {"nprobe": 2048})),
        (12_000_000, 768, "16GB", ("IVF16384,SQ8", {"nprobe": IVF_NPROBE_SHARE * 16384 // 100})),
        (100_000, 768, "120MB", ("IVF1024,SQ8", {"nprobe": 512})),
    ],
)
def test_choose_spec(
    names: int, dim: int, budget: str | None, expected: tuple[str, dict[str, int]]
) -> None:
    spec, params = choose_spec(names, dim, parse_size(budget) if budget else None)
    assert (spec, params) == expected
    assert budget is None or estimated_bytes(spec, names, dim) <= parse_size(budget)
    VectorIndex(VectorIndex.create(spec, dim).index, params)  # a valid spec with valid params


def test_refine_keeps_its_k_factor() -> None:
    assert choose_spec(10**6, 768)[1]["k_factor_rf"] == REFINE_K_FACTOR


def test_choose_spec_falls_back_to_pq_then_refuses(caplog: pytest.LogCaptureFixture) -> None:
    spec, _ = choose_spec(12_000_000, 768, parse_size("2GB"))
    assert spec == "IVF16384,PQ192x4fs" and "recall@10 < 0.99" in caplog.text
    with pytest.raises(ValueError, match="no index of 12000000 vectors .* fits 1000000 bytes"):
        choose_spec(12_000_000, 768, parse_size("1MB"))


def test_parse_size_and_ivf_lists() -> None:
    assert parse_size("4GB") == 4 * 10**9 and parse_size("2 GiB") == 2 * 2**30
    assert parse_size("1024") == 1024 and parse_size("0.5k") == 500
    with pytest.raises(ValueError, match="write e.g. 4GB"):
        parse_size("lots")
    assert ivf_lists(783_967) == 4096 and ivf_lists(12_000_000) == 16384 and ivf_lists(1) == 4
