"""The service's settings and ``entitylink serve``'s checks before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from entitylink.cli import main
from entitylink.service import Batching, Limits, ServiceConfig


def test_config_round_trips_and_refuses_bad_settings() -> None:
    config = ServiceConfig(
        indexes=(("a", Path("x/a")), ("b", Path("y"))),
        limits=Limits(max_mentions=7),
        batching=Batching(max_wait_ms=0.5),
        device="cpu",
    )
    assert ServiceConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="given twice: a"):
        ServiceConfig(indexes=(("a", Path("x")), ("a", Path("y"))))
    with pytest.raises(ValueError, match="no index"):
        ServiceConfig(indexes=())
    with pytest.raises(ValueError, match="max_batch must be positive"):
        ServiceConfig(indexes=(("a", Path("x")),), batching=Batching(max_batch=0))


def test_serve_refuses_a_missing_index_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--index", str(tmp_path / "none")]) == 1
    assert "none" in capsys.readouterr().err
    assert main(["serve", "--index", "=x"]) == 1
    assert "expected --index DIR or --index NAME=DIR" in capsys.readouterr().err
