"""The files of a mention detector's training: the model directory, the checkpoint, the log.

Written beside the old ones, then swapped in: a crash or a full disk leaves one whole copy.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from ..files import writing
from ..linking.model_detector import NER_CONFIG_FILE
from .train import CHECKPOINT, STATE_FILE, replace_checkpoint

__all__ = ["cut_log", "save_checkpoint", "save_model"]


def save_model(model: Any, tokenizer: Any, out: Path, settings: dict[str, Any]) -> None:
    """The model, its tokenizer and ``entitylink_ner.json`` into ``out`` (the best epoch's)."""
    with writing(out, note="; the checkpoint is kept"):
        temporary = Path(tempfile.mkdtemp(prefix=".model-", dir=out))
        try:
            model.save_pretrained(temporary)
            tokenizer.save_pretrained(temporary)
            text = json.dumps(settings, indent=2, default=str)
            (temporary / NER_CONFIG_FILE).write_text(text + "\n")
            for path in temporary.iterdir():
                path.replace(out / path.name)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)


def save_checkpoint(
    model: Any, tokenizer: Any, optimizer: Any, schedule: Any, out: Path, state: dict[str, Any]
) -> None:
    """The checkpoint written beside the old one, then swapped in (a crash keeps one whole)."""
    with writing(out / CHECKPOINT, note="; the previous checkpoint was kept"):
        temporary = Path(tempfile.mkdtemp(prefix=".checkpoint-", dir=out))
        try:
            model.save_pretrained(temporary)
            tokenizer.save_pretrained(temporary)
            for name, value in (("optimizer", optimizer), ("schedule", schedule)):
                with (temporary / f"{name}.pt").open("wb") as handle:
                    torch.save(value.state_dict(), handle)
            (temporary / STATE_FILE).write_text(json.dumps(state) + "\n")
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    replace_checkpoint(temporary, out)


def cut_log(path: Path, step: int) -> None:
    """``train_log.jsonl`` without the rows after the checkpoint's step (a resumed run)."""
    if path.exists():
        rows = [line for line in path.read_text().splitlines() if json.loads(line)["step"] <= step]
        with writing(path):
            path.write_text("".join(f"{row}\n" for row in rows))
