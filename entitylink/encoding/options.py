"""Encoder names and choices, importable without torch (the command line lists them in --help)."""

from __future__ import annotations

SAPBERT = "cambridgeltl/SapBERT-from-PubMedBERT-fulltext"
OFFLINE_DEFAULT = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL = OFFLINE_DEFAULT
POOLINGS = ("cls", "mean")
DTYPES = ("float32", "bfloat16")
QUANTIZATIONS = ("int8", "int8-block")
ONNX_ONLY_QUANTIZATIONS = ("int8-block",)
BACKENDS = ("torch", "onnx")
