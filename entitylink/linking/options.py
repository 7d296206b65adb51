"""How a linker is loaded: one frozen record, built once per entry point, saved as JSON.

>>> LoadOptions().backend, LoadOptions().quantize, LoadOptions().mmap
('auto', 'auto', True)
>>> options = LoadOptions(backend="torch", search_params={"efSearch": 128})
>>> LoadOptions.from_json(options.to_json()) == options
True
>>> options.replace(mmap=False).mmap
False

The defaults are the fastest path that keeps accuracy: ``backend="auto"`` runs ONNX Runtime
when the ``[onnx]`` extra is installed (torch float32 otherwise, said once in the log), and
``quantize="auto"`` is ``int8-block`` on ONNX (Acc@1 within 0.2 points of float32), none on
torch. ``backend="torch", quantize="none"`` is how the index's vectors were computed.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..encoding.options import BACKENDS, QUANTIZATIONS

logger = logging.getLogger(__name__)

__all__ = ["BACKEND_CHOICES", "LoadOptions", "MODES", "QUANTIZE_CHOICES"]

AUTO, NONE = "auto", "none"
BACKEND_CHOICES = (AUTO, *BACKENDS)
QUANTIZE_CHOICES = (AUTO, NONE, *QUANTIZATIONS)
MODES = ("dense", "sparse", "hybrid")
DEFAULT_QUERY_CACHE = 4096  # query vectors kept (LoadOptions.query_cache)
FAST_QUANTIZE = "int8-block"  # what "auto" quantises to on ONNX
ONNX_MODULES = ("onnxruntime", "tokenizers")  # what running (not exporting) the graph needs
_said_fallback = False


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """How :meth:`~entitylink.linking.linker.Linker.from_dir` loads an index and its encoder.

    Parameters
    ----------
    backend
        ``"auto"`` (default: ``"onnx"`` when onnxruntime is installed and the device is the
        CPU, else ``"torch"``), ``"onnx"`` or ``"torch"``.
    quantize
        ``"auto"`` (default: ``"int8-block"`` on ONNX, ``"none"`` on torch), ``"none"``,
        ``"int8"`` or ``"int8-block"`` (ONNX only).
    device
        ``"cpu"``, ``"cuda"``... (torch); ``None``: CUDA when available. A device other than
        the CPU makes ``"auto"`` choose torch.
    threads
        Encoder threads per call; ``None``: one for a few mentions, this process's share of
        the cores for large inputs.
    mmap
        Memory-map the FAISS file (default) instead of reading it into memory.
    verify
        Compare every file with the manifest's checksums before loading (an index without
        checksums is then an error).
    allow_mismatch
        Link with an encoder other than the one that built the index (another model, pooling
        or weights), with a warning, instead of refusing.
    search_params
        FAISS search parameters (``efSearch``, ``nprobe``...) over the manifest's.
    mode, weight
        The defaults of :meth:`Linker.link`'s retrieval: ``"dense"``, ``"sparse"`` or
        ``"hybrid"`` (``None``: hybrid when the index has a sparse part), and hybrid's ``w``
        (``None``: the manifest's, set by ``entitylink tune``).
    query_cache
        Query vectors of recently encoded mentions kept for the next calls (least recently
        used dropped first; 0: none). 4,096 MiniLM vectors take 6 MB.
    index_vectors
        A mention equal to one of the index's names (as the encoder reads it) takes that
        name's stored vector instead of being encoded (:mod:`.queries`); ``False`` encodes
        every mention.
    """

    backend: str = AUTO
    quantize: str = AUTO
    device: str | None = None
    threads: int | None = None
    mmap: bool = True
    verify: bool = False
    allow_mismatch: bool = False
    search_params: Mapping[str, int] = dataclasses.field(default_factory=dict)
    mode: str | None = None
    weight: float | None = None
    query_cache: int = DEFAULT_QUERY_CACHE
    index_vectors: bool = True

    def __post_init__(self) -> None:
        _choice("backend", self.backend, BACKEND_CHOICES)
        _choice("quantize", self.quantize, QUANTIZE_CHOICES)
        if self.mode is not None:
            _choice("mode", self.mode, MODES)
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be an integer of at least 1, got {self.threads!r}")
        if not isinstance(self.query_cache, int) or self.query_cache < 0:
            raise ValueError(f"query_cache must be a whole number, got {self.query_cache!r}")
        if self.weight is not None and not (
            isinstance(self.weight, int | float) and math.isfinite(self.weight)
        ):
            raise ValueError(f"weight must be a finite number, got {self.weight!r}")
        for key, value in dict(self.search_params).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"search parameter {key} must be a whole number, got {value!r}")
        if self.backend == "torch" and self.quantize == FAST_QUANTIZE:
            raise ValueError(f"quantize={FAST_QUANTIZE!r} runs on ONNX only (backend='onnx')")
        # a sorted copy: the caller's mapping may change later, this record must not
        object.__setattr__(self, "search_params", dict(sorted(dict(self.search_params).items())))

    def replace(self, **changes: Any) -> LoadOptions:
        """A copy with ``changes``; ``None`` values are ignored (an option not given)."""
        given = {key: value for key, value in changes.items() if value is not None}
        return dataclasses.replace(self, **given) if given else self

    def encoder_settings(self) -> dict[str, Any]:
        """``backend``, ``quantize``, ``threads`` and ``device`` for ``Encoder.from_config``,
        ``"auto"`` resolved on this machine."""
        backend = self.backend
        if backend == AUTO:
            backend = "onnx" if (self.device or "cpu") == "cpu" and onnx_installed() else "torch"
            if backend == "torch" and (self.device or "cpu") == "cpu":
                _say_fallback()
        quantize: str | None = self.quantize
        if quantize == AUTO:
            quantize = FAST_QUANTIZE if backend == "onnx" else None
        elif quantize == NONE:
            quantize = None
        device = None if backend == "onnx" else self.device
        return {"backend": backend, "quantize": quantize, "threads": self.threads, "device": device}

    def linker_settings(self) -> dict[str, Any]:
        """The keywords of :class:`~entitylink.linking.linker.Linker` these options set."""
        names = ("allow_mismatch", "mode", "weight", "query_cache", "index_vectors")
        return {name: getattr(self, name) for name in names}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values; :meth:`from_dict` reads them back."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadOptions:
        """Options from :meth:`to_dict`'s keys (a subset is fine); an unknown key is an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown load option(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}"
            )
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> LoadOptions:
        return cls.from_dict(json.loads(text))


def onnx_installed() -> bool:
    """Whether the ONNX serving path can run here (found without importing it)."""
    return all(importlib.util.find_spec(name) is not None for name in ONNX_MODULES)


def _say_fallback() -> None:
    global _said_fallback
    if not _said_fallback:
        _said_fallback = True
        logger.warning(
            "onnxruntime is not installed: linking with torch float32, the slower path "
            "(pip install 'entitylink[onnx]' for the default; --backend torch to silence this)"
        )


def _choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
