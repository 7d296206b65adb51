"""LoadOptions: defaults, validation, the JSON round trip, and how "auto" resolves."""

from __future__ import annotations

import pickle

import pytest

from entitylink import LoadOptions
from entitylink.linking import options as options_module


def test_the_defaults_are_the_fast_path() -> None:
    options = LoadOptions()
    assert (options.backend, options.quantize, options.mmap, options.verify) == (
        "auto",
        "auto",
        True,
        False,
    )


def test_json_round_trip_keeps_every_field() -> None:
    options = LoadOptions(
        backend="torch",
        quantize="int8",
        device="cpu",
        threads=3,
        mmap=False,
        verify=True,
        search_params={"nprobe": 8, "efSearch": 64},
        mode="hybrid",
        weight=0.4,
    )
    assert LoadOptions.from_json(options.to_json()) == options
    assert pickle.loads(pickle.dumps(options)) == options  # Ray and Spark send it to workers


def test_search_params_are_copied_and_sorted() -> None:
    given = {"nprobe": 8, "efSearch": 64}
    options = LoadOptions(search_params=given)
    given["nprobe"] = 1
    assert list(options.search_params.items()) == [("efSearch", 64), ("nprobe", 8)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("backend", "tensorflow", "unknown backend"),
        ("quantize", "int4", "unknown quantize"),
        ("mode", "fuzzy", "unknown mode"),
        ("threads", 0, "threads"),
        ("weight", float("nan"), "weight"),
        ("search_params", {"efSearch": -1}, "efSearch"),
    ],
)
def test_bad_values_are_refused_naming_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LoadOptions(**{field: value})  # type: ignore[arg-type]


def test_int8_block_needs_onnx() -> None:
    with pytest.raises(ValueError, match="ONNX only"):
        LoadOptions(backend="torch", quantize="int8-block")


def test_unknown_keys_in_json_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown load option.*nmap"):
        LoadOptions.from_dict({"nmap": True})


def test_replace_ignores_options_not_given() -> None:
    options = LoadOptions(backend="torch")
    assert options.replace(backend=None, mmap=None) is options
    assert options.replace(mmap=False) == LoadOptions(backend="torch", mmap=False)


def test_auto_is_onnx_int8_block_when_onnxruntime_is_installed() -> None:
    pytest.importorskip("onnxruntime")
    settings = LoadOptions().encoder_settings()
    assert (settings["backend"], settings["quantize"]) == ("onnx", "int8-block")


def test_auto_falls_back_to_torch_float32_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(options_module, "onnx_installed", lambda: False)
    monkeypatch.setattr(options_module, "_said_fallback", False)
    first = LoadOptions().encoder_settings()
    LoadOptions().encoder_settings()
    assert (first["backend"], first["quantize"]) == ("torch", None)
    warnings = [r for r in caplog.records if "onnxruntime is not installed" in r.message]
    assert len(warnings) == 1


def test_auto_picks_torch_for_a_gpu_device() -> None:
    settings = LoadOptions(device="cuda").encoder_settings()
    assert (settings["backend"], settings["quantize"], settings["device"]) == (
        "torch",
        None,
        "cuda",
    )


def test_explicit_choices_are_kept() -> None:
    settings = LoadOptions(backend="onnx", quantize="none", threads=2).encoder_settings()
    assert settings == {"backend": "onnx", "quantize": None, "threads": 2, "device": None}
