"""Encoding throughput: the SapBERT model card's loop against entitylink's Encoder, side by side.

Both encode the same real names (sampled from MEDIC and MeSH with a fixed seed) with the same
weights and thread count; entitylink's Encoder is forced to [CLS] pooling without normalisation,
as the model card. Repetitions are interleaved (reference, then each variant), so a machine
that is busy slows all of them alike; the speedup is the median of per-repetition ratios.

    python scripts/bench_encode.py --names 4000 --repeats 5
    python scripts/bench_encode.py --model bert-base-config --names 1000 --repeats 3
    python scripts/bench_encode.py --variant bfloat16 --variant int8 --variant max_tokens=4096
    python scripts/bench_encode.py --backend onnx --variant onnx-int8

Variants: ``bfloat16`` (autocast), ``int8`` (dynamic quantisation), ``onnx``, ``onnx-int8``,
``onnx-int8-block`` (ONNX Runtime, float32, int8 or 8-bit blocks), ``max_tokens=N`` (a token
budget per batch instead of 128 names), ``batch=N`` (another fixed batch size). ``--backend
onnx`` makes entitylink's own row ONNX Runtime (the reference loop stays the model card's, in
torch). ``floor`` gives the
weight-streaming floor of one mention: the model's weight bytes over the measured memory
bandwidth (a single mention reads every weight once for a handful of tokens).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from entitylink import Encoder, read_vocabulary  # noqa: E402
from entitylink.encoding.encoder import OFFLINE_DEFAULT, resolve_model  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_VOCABS = (
    SHARED / "vocab/ctd/medic_06Jul2012.txt",
    SHARED / "vocab/mesh/mesh_id_label_mappings.tsv",
)
BERT_BASE = "bert-base-config"
BERT_BASE_NOTE = (
    "randomly initialised BertModel(BertConfig()) with the bert-base-uncased vocabulary "
    "(30522) of all-MiniLM-L6-v2's tokenizer; PubMedBERT's 28895-token vocabulary is not "
    "available offline. Same shape as SapBERT (12 layers, 768 hidden): the cost, not the vectors"
)
MAX_LENGTH, BATCH = 25, 128


def sample_names(paths: Sequence[Path], n: int, seed: int) -> list[str]:
    """``n`` distinct names (canonical names and synonyms) drawn with a fixed seed."""
    names: set[str] = set()
    for path in paths:
        for concept in read_vocabulary(path):
            names.add(concept.name)
            names.update(concept.aliases)
    pool = sorted(names)
    return random.Random(seed).sample(pool, min(n, len(pool)))


def bert_base_dir(directory: Path, seed: int) -> Path:
    """A BERT-base-shaped checkpoint with random weights and the MiniLM tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    AutoTokenizer.from_pretrained(resolve_model(OFFLINE_DEFAULT)).save_pretrained(directory)
    torch.manual_seed(seed)
    BertModel(BertConfig(vocab_size=30522)).save_pretrained(directory)
    return directory


def reference_encode(
    tokenizer: Any, model: Any, names: Sequence[str], batch_size: int = BATCH
) -> NDArray[np.float32]:
    """The SapBERT model card's loop: pad every batch to 25 tokens, [CLS] of the last layer."""
    chunks = []
    with torch.no_grad():
        for start in range(0, len(names), batch_size):
            tokens = tokenizer(
                list(names[start : start + batch_size]),
                padding="max_length",
                max_length=MAX_LENGTH,
                truncation=True,
                return_tensors="pt",
            )
            chunks.append(model(**tokens)[0][:, 0, :].numpy())
    return np.concatenate(chunks).astype(np.float32)


def _variant(base: str, name: str) -> tuple[Encoder | None, dict[str, Any]]:
    """An encoder (None: reuse the default one) and encode() keyword arguments for a variant."""
    kind, _, value = name.partition("=")
    common: dict[str, Any] = {"pooling": "cls", "normalize": False, "lowercase": False}
    if kind == "bfloat16":
        return Encoder(base, dtype="bfloat16", device="cpu", **common), {}
    if kind == "int8":
        return Encoder(base, quantize="int8", device="cpu", **common), {}
    if kind == "onnx":
        return Encoder(base, backend="onnx", **common), {}
    if kind in ("onnx-int8", "onnx-int8-block"):
        return Encoder(base, backend="onnx", quantize=kind.removeprefix("onnx-"), **common), {}
    if kind == "max_tokens" and value.isdigit():
        return None, {"max_tokens": int(value)}
    if kind == "batch" and value.isdigit():
        return None, {"batch_size": int(value)}
    raise SystemExit(
        f"unknown variant {name!r}: bfloat16, int8, onnx, onnx-int8, onnx-int8-block, "
        "max_tokens=N or batch=N"
    )


def _cosines(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float64]:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    norms = np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)
    return np.asarray((a64 * b64).sum(1) / np.maximum(norms, 1e-30))


def _timed(run: Callable[[], NDArray[np.float32]]) -> tuple[float, NDArray[np.float32]]:
    started = time.perf_counter()
    vectors = run()
    return time.perf_counter() - started, vectors


def _summary(n: int, seconds: list[float], reference: list[float]) -> dict[str, Any]:
    ratios = [r / s for r, s in zip(reference, seconds, strict=True)]
    return {
        "names_per_s": round(n / statistics.median(seconds), 1),
        "seconds": [round(s, 3) for s in seconds],
        "speedup": round(statistics.median(ratios), 3),
        "speedup_min": round(min(ratios), 3),
        "speedup_max": round(max(ratios), 3),
    }


def matmul_gflops(hidden: int, dtype: torch.dtype, repeats: int = 10) -> float:
    """GFLOP/s of a large matrix product shaped like a BERT feed-forward layer: the ceiling."""
    a, b = torch.randn(2048, hidden, dtype=dtype), torch.randn(hidden, 4 * hidden, dtype=dtype)
    for _ in range(3):
        a @ b
    elapsed, _ = _timed(lambda: [a @ b for _ in range(repeats)])
    return round(2 * 2048 * hidden * 4 * hidden * repeats / elapsed / 1e9, 1)


def bandwidth_gbs(megabytes: int = 512, repeats: int = 5) -> float:
    """Memory read bandwidth (GB/s): best of ``repeats`` sums of an array larger than caches."""
    array = np.ones(megabytes * (1 << 20) // 4, dtype=np.float32)
    best = min(
        _timed(lambda: np.asarray([array.sum()], dtype=np.float32))[0] for _ in range(repeats)
    )
    return round(array.nbytes / best / 1e9, 2)


def floor(model: Any) -> dict[str, Any]:
    """Weight-streaming floor of one mention: every weight read once, per weight format, but
    the word-embedding table, of which a mention reads only its few tokens' rows."""
    gbs = bandwidth_gbs()
    sizes = {"float32": 4, "bfloat16": 2, "int8": 1}
    total = sum(p.numel() for p in model.parameters())
    words = model.get_input_embeddings().weight.numel()
    streamed = total - words
    return {
        "bandwidth_gbs": gbs,
        "params": total,
        "streamed_params": streamed,
        "ms": {k: round(streamed * b / (gbs * 1e9) * 1000, 3) for k, b in sizes.items()},
    }


def compute(model: Any, lengths: list[int], names_per_s: float) -> dict[str, Any]:
    """Useful GFLOP/s of the encoder (2 x layer weights x padded tokens) beside the ceiling."""
    layers = getattr(model, "encoder", model)
    params = sum(p.numel() for p in layers.parameters())
    ordered = sorted(lengths)
    chunks = [ordered[i : i + BATCH] for i in range(0, len(ordered), BATCH)]
    padded = sum(max(c) * len(c) for c in chunks) / len(lengths)
    hidden = int(model.config.hidden_size)
    return {
        "layer_params": int(params),
        "padded_tokens_per_name": round(padded, 2),
        "entitylink_gflops": round(2 * params * padded * names_per_s / 1e9, 1),
        "matmul_gflops": {
            "float32": matmul_gflops(hidden, torch.float32),
            "bfloat16": matmul_gflops(hidden, torch.bfloat16),
        },
    }


def run(args: argparse.Namespace, location: str) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    names = sample_names(args.vocab, args.names, args.seed)
    common: dict[str, Any] = {"pooling": "cls", "normalize": False, "lowercase": False}
    reference = Encoder(location, device="cpu", threads=args.threads, **common)
    default = reference
    if args.backend == "onnx":
        default = Encoder(location, backend="onnx", threads=args.threads, **common)
    systems: dict[str, tuple[Encoder, dict[str, Any]]] = {"entitylink": (default, {})}
    for variant in args.variant:
        encoder, kwargs = _variant(location, variant)
        if encoder is not None:
            encoder.threads = args.threads
        systems[variant] = (encoder or default, kwargs)
    tokenizer, model = reference.tokenizer, reference.model
    reference_encode(tokenizer, model, names[:BATCH])  # warm-up, not timed
    for encoder, kwargs in systems.values():
        encoder.encode(names[:BATCH], **kwargs)
    ref_s: list[float] = []
    seconds: dict[str, list[float]] = {key: [] for key in systems}
    vectors: dict[str, NDArray[np.float32]] = {}
    for _ in range(args.repeats):
        elapsed, ref = _timed(lambda: reference_encode(tokenizer, model, names))
        ref_s.append(elapsed)
        for key, (encoder, kwargs) in systems.items():
            elapsed, vectors[key] = _timed(lambda e=encoder, k=kwargs: e.encode(names, **k))
            seconds[key].append(elapsed)
    main = _summary(len(names), seconds.pop("entitylink"), ref_s)
    lengths = [len(ids) for ids in default.tokenize(names)]
    result: dict[str, Any] = {
        "names": len(names),
        "seed": args.seed,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "backend": args.backend,
        "loadavg": os.getloadavg(),
        "model": args.model,
        "shape": {
            "layers": int(model.config.num_hidden_layers),
            "hidden": int(model.config.hidden_size),
            "params": int(sum(p.numel() for p in model.parameters())),
            "vocab_size": int(model.config.vocab_size),
            "attn_implementation": str(getattr(model.config, "_attn_implementation", None)),
        },
        "mean_tokens": round(float(np.mean(lengths)), 2),
        "reference_names_per_s": round(len(names) / statistics.median(ref_s), 1),
        "reference_seconds": [round(s, 3) for s in ref_s],
        "entitylink_names_per_s": main["names_per_s"],
        "entitylink_seconds": main["seconds"],
        "speedup": main["speedup"],
        "speedup_min": main["speedup_min"],
        "speedup_max": main["speedup_max"],
        "min_cosine": round(float(_cosines(ref, vectors["entitylink"]).min()), 7),
        "compute": compute(model, lengths, main["names_per_s"]),
        "floor": floor(model),
        "variants": {
            key: {
                **_summary(len(names), seconds[key], ref_s),
                "min_cosine": round(float(_cosines(ref, vectors[key]).min()), 7),
                "mean_cosine": round(float(_cosines(ref, vectors[key]).mean()), 7),
            }
            for key in seconds
        },
    }
    if args.model == BERT_BASE:
        result["note"] = BERT_BASE_NOTE
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        default=OFFLINE_DEFAULT,
        help=f"{OFFLINE_DEFAULT} (default, offline), a local checkpoint dir, or {BERT_BASE}",
    )
    parser.add_argument("--names", type=int, default=4000, help="names to encode (default 4000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (default 5)")
    parser.add_argument(
        "--threads", type=int, default=torch.get_num_threads(), help="torch threads"
    )
    parser.add_argument("--seed", type=int, default=0, help="name sample seed (default 0)")
    parser.add_argument(
        "--backend", choices=("torch", "onnx"), default="torch", help="entitylink's encoder"
    )
    parser.add_argument("--vocab", type=Path, nargs="+", default=list(DEFAULT_VOCABS))
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="also time bfloat16, int8, max_tokens=N or batch=N (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.model == BERT_BASE:
        with tempfile.TemporaryDirectory(prefix="bert-base-") as tmp:
            result = run(args, str(bert_base_dir(Path(tmp), args.seed)))
    else:
        result = run(args, args.model)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return result


if __name__ == "__main__":
    main()
