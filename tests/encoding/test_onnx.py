"""The ONNX Runtime backend: same vectors as torch, cached export, no torch on the serving path."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from entitylink import ConceptIndex, Encoder, Linker, build_index, read_vocabulary
from entitylink.encoding.onnx_cache import CACHE_ENV, FILES, cache_dir
from tests.paths import SAMPLES

pytest.importorskip("onnxruntime", reason="pip install 'entitylink[onnx]'")

TEXTS = ["Myocardial infarction", "heart attack", "MI", "type 2 diabetes mellitus", "5-FU"] * 3


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Exports go to a temporary cache, never ~/.cache."""
    root = tmp_path_factory.mktemp("entitylink-cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(root)
    yield root
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="module")
def tiny_onnx(onnx_cache: Path, tiny_model_dir: Path) -> Encoder:
    return Encoder(str(tiny_model_dir), pooling="cls", backend="onnx")


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_onnx_matches_torch_on_the_tiny_bert(
    onnx_cache: Path, tiny_model_dir: Path, pooling: str
) -> None:
    torch_encoder = Encoder(str(tiny_model_dir), pooling=pooling, device="cpu")
    onnx_encoder = Encoder(str(tiny_model_dir), pooling=pooling, backend="onnx")
    assert onnx_encoder.tokenize(TEXTS) == torch_encoder.tokenize(TEXTS)
    ours, theirs = onnx_encoder.encode(TEXTS), torch_encoder.encode(TEXTS)
    assert _cosines(ours, theirs).min() >= 0.9999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    single = onnx_encoder.encode([TEXTS[3]])  # the one-text path: no batching, no padding
    assert _cosines(single, theirs[3:4]).min() >= 0.9999


def test_int8_is_close_and_cached_beside_fp32(onnx_cache: Path, tiny_model_dir: Path) -> None:
    fp32 = Encoder(str(tiny_model_dir), pooling="cls", backend="onnx")
    int8 = Encoder(str(tiny_model_dir), pooling="cls", backend="onnx", quantize="int8")
    assert _cosines(int8.encode(TEXTS), fp32.encode(TEXTS)).min() > 0.9
    (directory,) = [p for p in cache_dir().iterdir() if p.is_dir()]
    assert {"model.onnx", "model.int8.onnx", "tokenizer.json", "source.json"} <= {
        p.name for p in directory.iterdir()
    }
    assert int8.config()["backend"] == "onnx" and int8.config()["quantize"] == "int8"


def test_int8_block_is_closer_to_fp32_than_int8(onnx_cache: Path, tiny_model_dir: Path) -> None:
    fp32 = Encoder(str(tiny_model_dir), pooling="cls", backend="onnx").encode(TEXTS)
    int8 = Encoder(str(tiny_model_dir), pooling="cls", backend="onnx", quantize="int8")
    block = Encoder(str(tiny_model_dir), pooling="cls", backend="onnx", quantize="int8-block")
    block_cosines = _cosines(block.encode(TEXTS), fp32)
    assert block_cosines.min() >= 0.999
    assert block_cosines.mean() > _cosines(int8.encode(TEXTS), fp32).mean()
    (directory,) = [p for p in cache_dir().iterdir() if p.is_dir()]
    assert (directory / FILES["int8-block"]).is_file()
    assert block.config()["quantize"] == "int8-block"


def test_int8_block_needs_the_onnx_backend(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="int8-block.*onnx"):
        Encoder(str(tiny_model_dir), quantize="int8-block")


def test_tokens_are_transformers_tokens(tiny_onnx: Encoder, tiny_encoder: Encoder) -> None:
    long = "fever " * 100
    expected = tiny_encoder.tokenizer(
        [long.lower(), "heart attack"], truncation=True, max_length=25
    )
    assert tiny_onnx.tokenize([long, "heart attack"]) == expected["input_ids"]


def test_manifest_records_the_backend(
    tiny_onnx: Encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    concepts = read_vocabulary(SAMPLES / "MRCONSO.RRF")
    index = build_index(concepts, tiny_onnx, tmp_path / "onnx", progress=False)
    recorded = json.loads((tmp_path / "onnx" / "manifest.json").read_text())["encoder"]
    assert recorded["backend"] == "onnx"
    linker = Linker.from_dir(index.path, quantize="none")  # as built: ONNX float32
    assert linker.encoder.backend == "onnx"
    with caplog.at_level(logging.DEBUG, logger="entitylink.linking.compatibility"):
        torch_linker = Linker.from_dir(index.path, backend="torch")
    assert torch_linker.encoder.backend == "torch"
    assert "min cosine" in caplog.text and not any(
        r.levelno >= logging.WARNING for r in caplog.records
    )
    onnx_best, torch_best = (
        linker.link(["heart attack"])[0][0],
        torch_linker.link(["heart attack"])[0][0],
    )
    assert onnx_best.concept_id == torch_best.concept_id
    assert onnx_best.score == pytest.approx(torch_best.score, abs=1e-6)  # float32 sums differ


def test_linking_a_torch_index_with_onnx_warns_only_beyond_tolerance(
    tiny_index: ConceptIndex, onnx_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="entitylink.linking.compatibility"):
        Linker.from_dir(tiny_index.path, backend="onnx", quantize="none")
    assert "min cosine 1.0000" in caplog.text or "min cosine 0.9999" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    from entitylink.linking import compatibility as module

    caplog.clear()
    tolerance = module.TOLERANCE
    module.TOLERANCE = 1.01  # nothing is that close: the warning names the settings
    try:
        Linker.from_dir(tiny_index.path, backend="onnx", quantize="none")
    finally:
        module.TOLERANCE = tolerance
    assert "differ (min cosine" in caplog.text and "'backend': 'onnx'" in caplog.text


def test_one_session_holds_the_weights_for_single_mentions_and_batches(
    tiny_index: ConceptIndex, onnx_cache: Path
) -> None:
    """The packed weights are held once (a second session of MiniLM int8-block held ~80 MB
    more): a batch on two threads runs in two parts on the same session, with the vectors of
    one part at a time."""
    linker = Linker.from_dir(tiny_index.path, backend="onnx", threads=None)
    net = linker.encoder.net
    session = net.session
    names = [f"fever {i}" for i in range(40)] + ["heart attack", "asthma"]
    linker.link(["fever"], k=2)
    linker.link(names, k=2)
    whole = Encoder.from_config(tiny_index.manifest.encoder, backend="onnx", threads=1)
    parts = Encoder.from_config(tiny_index.manifest.encoder, backend="onnx", threads=3)
    np.testing.assert_allclose(whole.encode(names), parts.encode(names), atol=1e-6)
    assert net.session is session and parts.net._pool_size == 3


NO_TORCH = """
import json, sys
from entitylink import Linker
linker = Linker.from_dir(sys.argv[1], backend="onnx")
found = linker.link(["heart attack"], k=3)
heavy = sorted(m for m in ("torch", "transformers", "sklearn", "scipy") if m in sys.modules)
print(json.dumps({"heavy": heavy, "top": [c.score for c in found[0]]}))
"""


def test_onnx_serving_imports_neither_torch_nor_transformers_nor_scikit_learn(
    tiny_index: ConceptIndex, tiny_onnx: Encoder, onnx_cache: Path
) -> None:
    env = {**os.environ, CACHE_ENV: str(onnx_cache), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", NO_TORCH, str(tiny_index.path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["heavy"] == []
    expected = Linker(tiny_onnx, tiny_index).link(["heart attack"], k=3)[0]
    assert result["top"] == pytest.approx([c.score for c in expected], abs=1e-5)


def test_onnx_refuses_bfloat16_and_gpus(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="onnx backend"):
        Encoder(str(tiny_model_dir), backend="onnx", dtype="bfloat16")
    with pytest.raises(ValueError, match="unknown backend"):
        Encoder(str(tiny_model_dir), backend="tensorrt")
