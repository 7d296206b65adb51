"""Export a transformers checkpoint to ONNX (once, into :mod:`.onnx_cache`'s directory).

The TorchScript-based ``torch.onnx.export`` (``dynamo=False``) is used: it needs torch and onnx
only, and gives a graph with dynamic batch and sequence axes that onnxruntime optimises
(attention and layer-norm fusions). Called by :func:`~entitylink.encoding.onnx.onnx_files`
when the cache has no graph for a checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from pathlib import Path

import torch

from ..errors import ModelLoadError
from .onnx_cache import FILES, SOURCE_FILE
from .tokens import TOKENIZER_FILE
from .torch_model import load_checkpoint

logger = logging.getLogger(__name__)

__all__ = ["OPSET", "export_onnx"]

OPSET = 18


def export_onnx(location: str, directory: Path, task: str = "hidden") -> None:
    """Export ``location`` (a transformers checkpoint) into ``directory`` (needs torch): its last
    hidden states, or its logits with ``task="token-classification"``."""
    logger.info("exporting %s to ONNX in %s (once)", location, directory)
    tokenizer, network = load_checkpoint(location, location, task)
    logits = task == "token-classification"
    network.eval()
    partial = directory.with_name(f"{directory.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelLoadError(
            f"{location}: the ONNX backend needs a fast tokenizer (tokenizer.json)"
        )
    backend.save(str(partial / TOKENIZER_FILE))

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out = self.network(input_ids=input_ids, attention_mask=attention_mask)
            return out.logits if logits else out.last_hidden_state  # type: ignore[no-any-return]

    mask = torch.ones(2, 8, dtype=torch.long)
    mask[1, 5:] = 0  # a padded row, so that tracing keeps the attention mask's path
    example = (torch.ones(2, 8, dtype=torch.long), mask)
    axes = {0: "batch", 1: "tokens"}
    output = "logits" if logits else "last_hidden_state"
    # the tracer warns about shape checks it records as constants (they hold for any shape)
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden().eval(),
            example,
            str(partial / FILES[None]),
            input_names=["input_ids", "attention_mask"],
            output_names=[output],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, output: axes},
            opset_version=OPSET,
            dynamo=False,
        )
    source = {
        "location": location,
        "key": directory.name,
        "opset": OPSET,
        "torch": torch.__version__,
        "hidden_size": int(network.config.hidden_size),
        "task": task,
    }
    (partial / SOURCE_FILE).write_text(json.dumps(source, indent=1) + "\n")
    if directory.exists():  # another process exported it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
        return
    partial.replace(directory)
