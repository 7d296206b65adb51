"""The cache of exported ONNX graphs: where it is, how a checkpoint's directory is named, and
the names of the files in it (shared by :mod:`.onnx`, which reads them, and :mod:`.export`,
which writes them)::

    $ENTITYLINK_CACHE/onnx/      (default ~/.cache/entitylink/onnx)
      keys.json                  model_key() of checkpoints seen, by their files' sizes and mtimes
      <key>/
        model.onnx               float32 graph: input_ids, attention_mask -> last_hidden_state
        model.int8.onnx          int8 weights (onnxruntime dynamic quantisation), on request
        model.int8-block.onnx    8-bit weights in blocks of 32 (``MatMulNBits``), on request
        tokenizer.json           the checkpoint's fast tokenizer (:data:`.tokens.TOKENIZER_FILE`)
        source.json              what was exported, from where, with which versions

``key`` is a hash of the checkpoint's config and weights (:func:`model_key`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "EXPORT_VERSION",
    "FILES",
    "KEYS_FILE",
    "SOURCE_FILE",
    "WEIGHT_FILES",
    "cache_dir",
    "known_key",
    "model_key",
]

CACHE_ENV = "ENTITYLINK_CACHE"
EXPORT_VERSION = 1  # bump when the exported graph changes: a new cache key
WEIGHT_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")
FILES = {None: "model.onnx", "int8": "model.int8.onnx", "int8-block": "model.int8-block.onnx"}
SOURCE_FILE = "source.json"  # what was exported, from where, with which versions
KEYS_FILE = "keys.json"  # in cache_dir(): known_key's memo


def cache_dir() -> Path:
    """``$ENTITYLINK_CACHE/onnx``, by default ``~/.cache/entitylink/onnx``."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "entitylink"
    return Path(root).expanduser() / "onnx"


def model_key(location: str) -> str:
    """A hash of the checkpoint's config and weights (of its name, for a hub model)."""
    digest = hashlib.sha256(f"entitylink-onnx-{EXPORT_VERSION}".encode())
    directory = Path(location)
    files = [directory / name for name in WEIGHT_FILES if (directory / name).is_file()]
    if not files:
        digest.update(location.encode())
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return digest.hexdigest()[:20]


def known_key(location: str) -> str:
    """:func:`model_key`, remembered by the files' sizes and mtimes (hashing 400 MB of BERT
    weights at every load would cost a second)."""
    directory = Path(location)
    stats = [
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in (directory / name for name in WEIGHT_FILES)
        if p.is_file()
    ]
    memo = cache_dir() / KEYS_FILE
    stamp = f"{directory.resolve() if stats else location}|{'|'.join(stats)}|{EXPORT_VERSION}"
    try:
        known: dict[str, str] = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if stamp not in known:
        known[stamp] = model_key(location)
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(known, indent=1) + "\n")
        partial.replace(memo)
    return known[stamp]
