"""Smoke tests of the benchmark scripts at tiny sizes: JSON keys and sanity, never timings."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from entitylink import ConceptIndex, LoadOptions, read_vocabulary
from entitylink.cli.options import add_load_options, load_options
from entitylink.linking.options import onnx_installed
from tests.paths import ROOT, SAMPLES, shared_path


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_encode_tiny_model_with_variants(
    tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--model", str(tiny_model_dir), "--names", "60", "--repeats", "2", "--threads", "1"]
    variants = ["--variant", "bfloat16", "--variant", "int8", "--variant", "max_tokens=200"]
    result = script("bench_encode").main([*argv, *variants, "--vocab", str(SAMPLES / "vocab.tsv")])
    assert '"speedup"' in capsys.readouterr().out
    assert result["names"] == 60 and result["threads"] == 1
    assert result["shape"] == {
        "layers": 2,
        "hidden": 32,
        "params": result["shape"]["params"],
        "vocab_size": result["shape"]["vocab_size"],
        "attn_implementation": "sdpa",
    }
    assert result["min_cosine"] >= 0.9999
    assert result["variants"]["max_tokens=200"]["min_cosine"] >= 0.9999
    assert set(result["variants"]) == {"bfloat16", "int8", "max_tokens=200"}
    for key in ("reference_names_per_s", "entitylink_names_per_s", "speedup_min", "speedup_max"):
        assert result[key] > 0
    compute = result["compute"]
    assert compute["padded_tokens_per_name"] >= result["mean_tokens"] > 0
    assert compute["entitylink_gflops"] > 0 and compute["matmul_gflops"]["float32"] > 0


def test_bench_encode_default_minilm(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--names", "50", "--repeats", "1", "--vocab", str(SAMPLES / "MRCONSO.RRF")]
    result = script("bench_encode").main(argv)
    capsys.readouterr()
    assert result["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert result["shape"]["layers"] == 6 and result["shape"]["hidden"] == 384
    assert result["min_cosine"] >= 0.9999


def test_bench_index_synthetic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--synthetic", "2000", "--dim", "32", "--queries", "50", "--work-dir", str(tmp_path)]
    specs = ["--specs", "Flat", "HNSW16", "IVF16,SQ8", "--threads", "1"]
    out, table = tmp_path / "r.json", tmp_path / "r.md"
    result = script("bench_index").main(
        [*argv, *specs, "--out", str(out), "--markdown", str(table)]
    )
    capsys.readouterr()
    assert (result["names"], result["dim"], result["queries"]) == (2000, 32, 50)
    flat, hnsw, ivf = result["specs"]
    assert flat["recall@10"] == 1.0 and flat["bytes_per_vector"] >= 4 * 32
    assert list(hnsw["search_param"]) == ["efSearch"] and list(ivf["search_param"]) == ["nprobe"]
    for row in result["specs"]:
        for key in ("build_s", "load_s", "load_s_mmap", "rss_load_mb", "p50_ms", "batch_qps"):
            assert key in row
        assert 0 <= row["recall@10"] <= 1 and row["recall@10_ties"] >= row["recall@10"] - 1e-9
    assert out.exists() and table.read_text().count("\n") == 5
    assert not list(tmp_path.glob("*.partial"))  # rewritten after each spec, replaced whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("bench-index-")]


def test_bench_index_default_specs() -> None:
    specs = script("bench_index").default_specs(783_967, 384)
    assert specs == [
        "Flat",
        "SQ8",
        "HNSW32",
        "HNSW32,SQ8",
        "IVF4096,SQ8",
        "IVF4096,PQ96x4fs,RFlat",
    ]


def test_bench_link_on_the_sample_index(
    sample_index: ConceptIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(sample_index.path), "--mentions", str(SAMPLES / "mentions.txt")]
    result = script("bench_link").main([*argv, "--single", "5", "--loads", "1"])
    capsys.readouterr()
    assert set(result["load"]) == {"plain", "mmap"}
    assert result["load"]["plain"]["load_s"] > 0 and result["single"]["mentions"] == 5
    assert result["load"]["mmap"]["index_s"] > 0 and result["load"]["mmap"]["encoder_s"] > 0
    assert set(result["single"]["stages"]) == {"encode", "search", "lookup"}
    assert 0 < sum(result["batch"]["stage_share"].values()) <= 1.0 + 1e-6
    assert result["dictionary"]["names"] > 0 and result["dictionary"]["exact_hits"] >= 1
    assert set(result["meets"]) == {"load_s", "single_p50_ms", "lookup_share_batch"}
    assert result["mode"] == "dense"  # the sample index has no sparse part
    assert result["options"] == LoadOptions().to_dict()  # no flag: the project's defaults
    default = "onnx" if onnx_installed() else "torch"
    assert result["encoder"].get("backend", "torch") == default
    assert result["load"]["mmap"]["torch_imported"] == (default == "torch")


def test_bench_link_torch_with_baseline(
    tiny_index: ConceptIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--backend torch`` (the old path) and the torch float32 baseline beside it; the load
    flags are entitylink link's (``--no-mmap``, ``--search-param``, ``--mode``)."""
    argv = [str(tiny_index.path), "--mentions", str(SAMPLES / "mentions.txt"), "--loads", "1"]
    options = ["--single", "3", "--backend", "torch", "--no-mmap", "--mode", "dense"]
    result = script("bench_link").main([*argv, *options, "--baseline"])
    capsys.readouterr()
    assert result["options"]["backend"] == "torch" and result["options"]["mmap"] is False
    assert result["encoder"].get("backend", "torch") == "torch"
    assert result["load"]["plain"]["torch_imported"] and result["load"]["mmap"]["load_s"] > 0
    baseline = result["baseline_single"]
    assert baseline["mentions"] == 3 and set(baseline["stages"]) == {"encode", "search", "lookup"}
    assert baseline["encoder"].get("backend", "torch") == "torch"


def test_bench_annotate_tiny(tiny_index: ConceptIndex, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--index", str(tiny_index.path), "--input", str(SAMPLES / "benchmark.pubtator")]
    result = script("bench_annotate").main([*argv, "--repeats", "1", "--sizes", "2000", "4000"])
    assert '"abstracts_per_s"' in capsys.readouterr().out
    assert result["documents"] > 0 and result["mentions"] > 0
    assert set(result["stages_s"]) == {"detection", "abbreviation", "encode", "search", "lookup"}
    # the sample's spans are dictionary names: their vectors come from the index, not the encoder
    assert result["query_vectors"]["from_index"] > 0 and 0.5 < result["encoder_avoided"] <= 1
    assert [row["characters"] for row in result["long_documents"]] == [2000, 4000]
    assert result["options"] == LoadOptions().to_dict()


def test_bench_annotate_takes_the_load_flags(
    tiny_index: ConceptIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--index", str(tiny_index.path), "--input", str(SAMPLES / "benchmark.pubtator")]
    argv += ["--repeats", "1", "--sizes", "--backend", "torch", "--threads", "1"]
    result = script("bench_annotate").main(argv)
    capsys.readouterr()
    assert result["options"]["backend"] == "torch" and result["options"]["threads"] == 1
    assert result["encoder"].get("backend", "torch") == "torch" and result["mentions"] > 0


def test_bench_annotate_with_a_token_classifier(
    tiny_index: ConceptIndex, tiny_tagger_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--index", str(tiny_index.path), "--input", str(SAMPLES / "benchmark.pubtator")]
    argv += ["--repeats", "1", "--sizes", "3000", "--detector", f"model:{tiny_tagger_dir}"]
    result = script("bench_annotate").main([*argv, "--span-type", "Disease"])
    capsys.readouterr()
    assert result["detector"] == f"model:{tiny_tagger_dir}" and result["dictionary_names"] is None
    assert result["stages_s"]["detection"] > 0 and result["long_documents"][0]["spans"] >= 0


def test_bench_serve_tiny(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fastapi", reason="the service needs the [serve] extra")
    argv = ["--index", str(tiny_index.path), "--benchmark", str(SAMPLES / "benchmark.tsv")]
    argv += ["--seconds", "1", "--clients", "1", "4", "--max-requests", "40"]
    argv += ["--server-log", str(tmp_path / "server.log"), "--out", str(tmp_path / "r.json")]
    result = script("bench_serve").main(argv)
    assert "| 4 |" in capsys.readouterr().out
    assert [r["clients"] for r in result["levels"]] == [1, 4]
    for row in result["levels"]:
        assert row["errors"] == 0 and 0 < row["requests"] <= 40
        assert row["p99_ms"] >= row["p50_ms"] > 0 and row["mean_batch"] >= 1
        assert row["rss_peak_mb"] >= row["rss_end_mb"] > 0
    assert result["ceiling"]["mentions_per_s"] > 0
    assert result["options"] == LoadOptions().to_dict()  # the server got the same flags
    default = "onnx" if onnx_installed() else "torch"
    assert result["ceiling"]["encoder"].get("backend", "torch") == default


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--backend", "torch", "--no-mmap", "--threads", "2", "--verify"],
        ["--quantize", "int8", "--search-param", "efSearch=64", "--search-param", "nprobe=8"],
        ["--device", "cpu", "--mode", "hybrid", "--weight", "0.35"],
    ],
)
def test_bench_serve_passes_the_load_options_on(flags: list[str]) -> None:
    """The server's flags, read by entitylink's own option group, give the same LoadOptions."""
    bench_serve = script("bench_serve")
    parser = argparse.ArgumentParser()
    add_load_options(parser)
    options = load_options(parser.parse_args(flags))
    assert load_options(parser.parse_args(bench_serve.serve_flags(options))) == options


def test_bench_peer_ours_without_the_peer(
    tiny_index: ConceptIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """entitylink's side in its fresh process, loaded from ``LoadOptions.to_json()``."""
    argv = [str(tiny_index.path), "--vocab", str(SAMPLES / "MRCONSO.RRF")]
    argv += ["--benchmark", str(SAMPLES / "benchmark.tsv"), "--single", "3"]
    argv += ["--peer-python", str(tmp_path / "absent"), "--backend", "torch", "--no-mmap"]
    result = script("bench_peer").main(argv)
    capsys.readouterr()
    ours = result["entitylink"]
    assert ours["options"] == LoadOptions(backend="torch", mmap=False).to_dict()
    assert ours["encoder"].get("backend", "torch") == "torch" and ours["torch_imported"]
    assert ours["load_s"] > 0 and 0 <= ours["acc1"] <= ours["acc5"] <= 1
    assert "error" in result["scispacy"]


def test_measure_load_defaults_and_flags(tiny_index: ConceptIndex) -> None:
    measure = script("measure_load")
    default = measure.main([str(tiny_index.path), "heart attack"])
    assert default["options"] == LoadOptions().to_dict() and default["load_s"] > 0
    torch = measure.main([str(tiny_index.path), "heart attack", "--backend", "torch"])
    assert torch["encoder"].get("backend", "torch") == "torch"
    assert set(torch["top1"]) <= {"heart attack"}


def test_bench_link_onnx_under_background_load(
    tiny_index: ConceptIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("ENTITYLINK_CACHE", str(tmp_path / "cache"))
    argv = [str(tiny_index.path), "--mentions", str(SAMPLES / "mentions.txt"), "--loads", "1"]
    options = ["--single", "5", "--backend", "onnx", "--background-load", "1"]
    result = script("bench_link").main([*argv, *options, "--load-seconds", "30"])
    capsys.readouterr()
    assert result["encoder"]["backend"] == "onnx" and result["background_load"] == 1
    assert not result["load"]["mmap"]["torch_imported"]  # the fresh process: ONNX only
    assert result["threads"]["single"] == 1 and result["single"]["p50_ms"] > 0


def test_bench_encode_onnx_backend(
    tiny_model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("ENTITYLINK_CACHE", str(tmp_path / "cache"))
    argv = ["--model", str(tiny_model_dir), "--names", "40", "--repeats", "1", "--threads", "1"]
    options = ["--backend", "onnx", "--variant", "onnx-int8", "--vocab", str(SAMPLES / "vocab.tsv")]
    result = script("bench_encode").main([*argv, *options])
    capsys.readouterr()
    assert result["backend"] == "onnx" and result["min_cosine"] >= 0.9999
    assert result["variants"]["onnx-int8"]["min_cosine"] > 0.9
    assert result["floor"]["ms"]["int8"] < result["floor"]["ms"]["float32"]


def test_bench_scale_20000_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The scale benchmark end to end at 20,000 names: generate, build (SQLite, FAISS,
    manifest), then load, search, look up and measure recall in fresh processes."""
    work, out = tmp_path / "work", tmp_path / "scale.json"
    argv = ["--names", "20000", "--budget", "16GB", "--sources", str(SAMPLES / "MRCONSO.RRF")]
    argv += ["--work-dir", str(work), "--recall-queries", "100", "--latency-queries", "5"]
    result = script("bench_scale").main([*argv, "--out", str(out)])
    assert "| 16GB | `Flat`" in capsys.readouterr().out
    assert json.loads(out.read_text()) == result and not work.exists()
    assert result["names_built"] == 20_000 and 2_000 <= result["concepts"] < 20_000
    assert {"generate", "16GB:sqlite", "16GB:encode", "16GB:faiss", "exact"} <= set(
        result["stages"]
    )
    assert all(0 < s["peak_anon_gb"] <= s["peak_rss_gb"] for s in result["stages"].values())
    build = result["builds"]["16GB"]
    assert build["spec"] == "Flat" and build["disk_bytes"] > 20_000 * 384 * 4
    assert build["mmap"]["recall_at_10"] == 1.0  # Flat is exact
    assert build["mmap"]["lookup_p99_ms"] >= build["mmap"]["lookup_p50_ms"] > 0
    assert build["read"]["load_s"] > 0 and "recall_at_10" not in build["read"]


def test_scale_names_groups_and_mrconso(tmp_path: Path) -> None:
    names = script("scale_names")
    pool = ["Myocardial infarction", "Breast cancer", "Acute renal failure", "Asthma"]
    groups = list(names.NameGenerator(pool, seed=1).groups(500))
    assert groups == list(names.NameGenerator(pool, seed=1).groups(500))  # fixed seed
    assert sum(map(len, groups)) == 500 and all(1 <= len(g) <= 10 for g in groups)
    for group in groups:
        assert len({" ".join(n.lower().split()) for n in group}) == len(group)
    path = tmp_path / "MRCONSO.RRF"
    assert names.write_mrconso(path, iter(groups)) == (len(groups), 500)
    concepts = list(read_vocabulary(path))  # the real RRF reader
    assert [list(c.names) for c in concepts] == groups


def test_stand_in_encoder_is_deterministic_and_normalised() -> None:
    names = script("scale_names")
    encoder = names.HashedNgramEncoder(384, seed=0)
    texts = ["heart attack", "Heart  Attack", "heart attacks", "breast cancer", "x"]
    vectors = encoder.encode(texts, batch_size=2)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors, names.HashedNgramEncoder(384, seed=0).encode(texts))
    assert vectors[0] @ vectors[1] > 0.999  # case and spacing
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[3]  # shared 3-grams


@pytest.mark.slow
@pytest.mark.shared
def test_bench_scale_build_memory_does_not_grow_with_names(tmp_path: Path) -> None:
    """Streaming at scale (minutes): from 50,000 to 400,000 names the float32 vectors grow by
    540 MB; the build's peak RSS while encoding and indexing (IVF,PQ codes: 56 bytes a name)
    may grow by the codes and SQLite's pages, not by the vectors."""
    shared_path("vocab", "mesh", "mesh_id_label_mappings.tsv")  # the default sources
    peaks = []
    for names in (50_000, 400_000):
        argv = ["--names", str(names), "--budget", "32MB", "--recall-queries", "10"]
        argv += ["--latency-queries", "2", "--work-dir", str(tmp_path / str(names))]
        result = script("bench_scale").main(argv)
        stages = result["stages"]
        peaks.append(max(stages["32MB:encode"]["peak_rss_gb"], stages["32MB:faiss"]["peak_rss_gb"]))
    assert peaks[1] - peaks[0] < 0.2, peaks
