"""What a user meets with no option: ONNX int8-block, prepared by build-index, and a link or
annotate process that imports neither torch, transformers, pandas nor SQLAlchemy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from entitylink import ConceptIndex
from entitylink.cli import main
from entitylink.cli.build import prepare_serving_encoder
from entitylink.encoding.onnx_cache import FILES

pytest.importorskip("onnxruntime")

HEAVY = ("torch", "transformers", "pandas", "sqlalchemy")
PROBE = f"""
import json, sys
from entitylink.cli import main
status = main(json.loads(sys.argv[1]))
print(json.dumps({{"status": status, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _run(argv: list[str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def served(sample_index: ConceptIndex) -> ConceptIndex:
    """The sample index with its serving encoder prepared, as build-index leaves it."""
    prepare_serving_encoder(sample_index.manifest.encoder)
    return sample_index


def test_link_with_no_option_imports_no_torch_transformers_or_pandas(
    served: ConceptIndex,
) -> None:
    report = _run(["link", "--index", str(served.path), "-k", "1", "heart attack"])
    assert report == {"status": 0, "heavy": []}


def test_annotate_with_no_option_imports_none_of_them_either(
    served: ConceptIndex, tmp_path: Path
) -> None:
    text = tmp_path / "doc.txt"
    text.write_text("The patient had a heart attack.\n")
    report = _run(["annotate", "--index", str(served.path), "--input", str(text)])
    assert report == {"status": 0, "heavy": []}


def test_link_says_which_path_it_took(
    served: ConceptIndex, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["link", "-v", "--index", str(served.path), "-k", "1", "heart attack"]) == 0
    assert "C0027051" in capsys.readouterr().out
    assert "'backend': 'onnx', 'quantize': 'int8-block'" in caplog.text


def test_build_index_prepares_the_serving_encoder(
    tiny_model_dir: Path, tmp_path: Path, onnx_cache: Path
) -> None:
    out = tmp_path / "tiny"
    argv = ["build-index", "data_samples/MRCONSO.RRF", "--model", str(tiny_model_dir)]
    assert main([*argv, "--out", str(out), "--pooling", "cls"]) == 0
    graphs = {p.name for p in onnx_cache.glob("onnx/*/*.onnx")}
    assert FILES["int8-block"] in graphs


def test_backend_torch_is_the_old_path(
    served: ConceptIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["link", "--index", str(served.path), "--backend", "torch", "heart attack"]
    assert main(argv) == 0
    assert "1. C0027051\t1.0000" in capsys.readouterr().out  # the index's own vectors


SERVE_PROBE = f"""
import json, os, socket, sys, threading, time, urllib.request
from entitylink.cli import main

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]

def probe():
    url = f"http://127.0.0.1:{{port}}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.2)
    body = json.dumps({{"index": "served", "mentions": ["heart attack"]}}).encode()
    request = urllib.request.Request(url + "/link", body, {{"content-type": "application/json"}})
    answer = json.loads(urllib.request.urlopen(request, timeout=30).read())
    heavy = [m for m in {HEAVY!r} if m in sys.modules]
    print(json.dumps({{"best": answer["results"][0][0]["concept_id"], "heavy": heavy}}), flush=True)
    os._exit(0)

threading.Thread(target=probe, daemon=True).start()
main(["serve", "--index", "served=" + sys.argv[1], "--port", str(port), "-q"])
"""


def test_serve_with_no_option_imports_none_of_them_either(served: ConceptIndex) -> None:
    pytest.importorskip("fastapi")
    result = subprocess.run(
        [sys.executable, "-c", SERVE_PROBE, str(served.path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"best": "C0027051", "heavy": []}, result.stderr[-2000:]
