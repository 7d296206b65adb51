"""The service's settings and ``entitylink serve``'s checks before it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from entitylink import ConceptIndex, LoadOptions
from entitylink.cli import main
from entitylink.encoding.onnx_cache import CACHE_ENV
from entitylink.service import Batching, Limits, ServiceConfig
from entitylink.service.state import ServiceState


def test_config_round_trips_and_refuses_bad_settings() -> None:
    config = ServiceConfig(
        indexes=(("a", Path("x/a")), ("b", Path("y"))),
        limits=Limits(max_mentions=7),
        batching=Batching(max_wait_ms=0.5),
        load=LoadOptions(backend="torch", device="cpu", mmap=False, search_params={"nprobe": 4}),
    )
    assert ServiceConfig.from_json(config.to_json()) == config
    assert ServiceConfig.from_json(ServiceConfig(indexes=config.indexes).to_json()).load == (
        LoadOptions()
    )
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


def test_indexes_are_served_on_the_default_path_or_as_configured(
    tiny_index: ConceptIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime", reason="pip install 'entitylink[onnx]'")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))  # the export goes here, not to ~/.cache
    directory = tiny_index.path
    config = ServiceConfig(indexes=(("tiny", directory),))
    linker = ServiceState(config)._load_one(directory)
    assert (linker.encoder.backend, linker.encoder.quantize) == ("onnx", "int8-block")
    config = ServiceConfig(indexes=(("tiny", directory),), load=LoadOptions(backend="torch"))
    linker = ServiceState(config)._load_one(directory)
    assert (linker.encoder.backend, linker.encoder.quantize) == ("torch", None)
