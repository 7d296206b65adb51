"""The cache of exported ONNX graphs: where it is, how a checkpoint's directory is named, and
the names of the files in it (shared by :mod:`.onnx`, which reads them, and :mod:`.export`,
which writes them)::

    $ENTITYLINK_CACHE/onnx/      (default ~/.cache/entitylink/onnx)
      keys.json                  model_key() of checkpoints seen, by their files' sizes and mtimes
      identities.json            weights_identity() of checkpoints seen, the same way
      <key>/                     an encoder's graph; <key>-tokens/ a token classifier's (logits)
        model.onnx               float32 graph: input_ids, attention_mask -> last_hidden_state
        model.int8.onnx          int8 weights (onnxruntime dynamic quantisation), on request
        model.int8-block.2.onnx  8-bit weights in blocks of 32 (``MatMulNBits``), embeddings in
                                 float16, on request
        tokenizer.json           the checkpoint's fast tokenizer (:data:`.tokens.TOKENIZER_FILE`)
        source.json              what was exported, from where, with which versions

``key`` is a hash of the checkpoint's config and weights (:func:`model_key`). An index records
:func:`weights_identity` of the checkpoint that built it (config, weights and tokenizer files),
and refuses to link with one whose identity differs.
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
    "TASKS",
    "WEIGHT_FILES",
    "cache_dir",
    "known_key",
    "model_key",
    "weights_identity",
]

CACHE_ENV = "ENTITYLINK_CACHE"
EXPORT_VERSION = 1  # bump when the exported graph changes: a new cache key
WEIGHT_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")
# int8-block.2: the embedding tables in float16 (the first version kept them in float32)
FILES = {None: "model.onnx", "int8": "model.int8.onnx", "int8-block": "model.int8-block.2.onnx"}
# what a graph outputs -> the suffix of its cache directory: an encoder's last hidden states, or
# a token classifier's logits (the same checkpoint may be exported both ways)
TASKS = {"hidden": "", "token-classification": "-tokens"}
SOURCE_FILE = "source.json"  # what was exported, from where, with which versions
KEYS_FILE = "keys.json"  # in cache_dir(): known_key's memo
IDENTITIES_FILE = "identities.json"  # in cache_dir(): weights_identity's memo
KEY_PREFIX = f"entitylink-onnx-{EXPORT_VERSION}"  # what model_key hashes first
IDENTITY_PREFIX = "entitylink-identity-1"  # what weights_identity hashes first
# what makes two checkpoints give the same vectors: config, weights and tokenizer
IDENTITY_FILES = (
    *WEIGHT_FILES,
    "tokenizer.json",
    "vocab.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def cache_dir() -> Path:
    """``$ENTITYLINK_CACHE/onnx``, by default ``~/.cache/entitylink/onnx``."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "entitylink"
    return Path(root).expanduser() / "onnx"


def _hash_files(location: str, names: tuple[str, ...], prefix: str) -> str:
    digest = hashlib.sha256(prefix.encode())
    directory = Path(location)
    files = [directory / name for name in names if (directory / name).is_file()]
    if not files:
        digest.update(location.encode())
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return digest.hexdigest()[:20]


def model_key(location: str) -> str:
    """A hash of the checkpoint's config and weights (of its name, for a hub model)."""
    return _hash_files(location, WEIGHT_FILES, KEY_PREFIX)


def weights_identity(location: str) -> str | None:
    """``"sha256:HEX"`` of a local checkpoint's config, weights and tokenizer files, remembered
    by their sizes and mtimes (a second for 400 MB the first time, a few stats after); None for
    a hub name (its files are not resolved here)."""
    if not Path(location).is_dir():
        return None
    return f"sha256:{_memoised(location, IDENTITY_FILES, IDENTITIES_FILE, IDENTITY_PREFIX)}"


def _memoised(location: str, names: tuple[str, ...], memo_name: str, prefix: str) -> str:
    """:func:`_hash_files`, remembered in ``cache_dir()/memo_name`` by the files' sizes and
    mtimes (and ``prefix``, which versions the hash); an unwritable cache only loses the memo."""
    directory = Path(location)
    stats = [
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in (directory / name for name in names)
        if p.is_file()
    ]
    memo = cache_dir() / memo_name
    stamp = f"{directory.resolve() if stats else location}|{'|'.join(stats)}|{prefix}"
    try:
        known: dict[str, str] = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if stamp not in known:
        known[stamp] = _hash_files(location, names, prefix)
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            partial = memo.with_suffix(f".{os.getpid()}.partial")
            partial.write_text(json.dumps(known, indent=1) + "\n")
            partial.replace(memo)
        except OSError:
            pass
    return known[stamp]


def known_key(location: str) -> str:
    """:func:`model_key`, remembered by the files' sizes and mtimes (hashing 400 MB of BERT
    weights at every load would cost a second)."""
    return _memoised(location, WEIGHT_FILES, KEYS_FILE, KEY_PREFIX)
