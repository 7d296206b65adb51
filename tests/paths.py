"""Where the tests find their data: the checkout's samples and ../shared beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"
SHARED = ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A file of ../shared/data, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the real data lives in ../shared beside the checkout")
    return path
