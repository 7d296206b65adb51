"""Is this encoder the one that built the index? Loading it as the options say, and checking it.

Another model or pooling (even of the same dimension) gives vectors that mean nothing to the
index: refused. So do other weights under the same name (a model directory rewritten by
``train --overwrite``): the manifest's ``encoder_identity`` is compared with a hash of the
directory's weights and tokenizer files (memoised by their sizes and mtimes, a few stats per
load). Another backend, dtype or quantisation changes the arithmetic, not the meaning:
accepted, and measured on :data:`PROBES` of the index's names, whose new vectors are compared
with the stored ones (a warning below :data:`TOLERANCE`). Other differing settings
(``max_length``...) are logged.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..encoding.encoder import Encoder
from ..encoding.onnx_cache import weights_identity
from ..encoding.threads import SMALL_INPUT
from ..errors import IndexFormatError, MissingDependencyError, ModelLoadError
from ..index.build import ConceptIndex
from .options import LoadOptions

logger = logging.getLogger(__name__)

MUST_MATCH = ("model", "pooling")  # an encoder differing in these gives meaningless vectors
# settings that change the arithmetic, not the meaning: checked by measurement, not by name
NUMERIC = ("backend", "dtype", "quantize")
DEFAULTS = {"backend": "torch", "dtype": "float32", "quantize": None}  # when not recorded
PROBES = 32  # index names re-encoded to compare vectors when a NUMERIC setting differs
# min cosine between a name's stored vector and its vector from this encoder below which
# linking warns; measured on MEDIC with MiniLM (docs/encoders.md): torch vs ONNX float32 1.00000,
# ONNX int8-block 0.9995, ONNX int8 (per channel) 0.989, torch int8 (per tensor, -0.5 Acc@1) 0.915
TOLERANCE = 0.95


def load_encoder(index: ConceptIndex, options: LoadOptions) -> Encoder:
    """The encoder the index's manifest names, run as ``options`` say. ``backend="auto"`` falls
    back to torch when ONNX cannot run the model (a slow tokenizer, an unusual architecture);
    a model that cannot be loaded at all is a :class:`ModelLoadError` saying how to fix it."""
    config = index.manifest.encoder
    settings = options.encoder_settings()
    try:
        try:
            return Encoder.from_config(config, **settings)
        except (ModelLoadError, MissingDependencyError, RuntimeError) as exc:
            if options.backend != "auto" or settings["backend"] != "onnx":
                raise
            logger.warning("ONNX cannot run %s (%s); linking with torch", config["model"], exc)
            torch = options.replace(backend="torch").encoder_settings()
            return Encoder.from_config(config, **torch)
    except ModelLoadError as exc:
        cause = str(exc.__cause__ or exc).splitlines()[0]
        raise ModelLoadError(
            f"{index.path}: cannot load {config['model']!r}, the encoder this index was built "
            f"with ({cause}). Make that model available under the same name (a local directory "
            "at that path, or the Hugging Face hub reachable), or rebuild the index from the "
            "vocabulary with a local model directory (entitylink build-index VOCAB --model DIR "
            "--out INDEX)"
        ) from exc


def check_encoder(encoder: Encoder, index: ConceptIndex, *, allow_mismatch: bool = False) -> None:
    """Refuse an encoder whose vectors mean nothing to ``index``; measure one that computes
    them another way (see the module's docstring)."""
    expected = index.manifest.encoder
    if encoder.dim != expected["dim"]:
        raise IndexFormatError(
            f"{index.path}: built with {expected['model']} (dimension {expected['dim']}), "
            f"but the encoder {encoder.model_name} has dimension {encoder.dim}"
        )
    _check_identity(encoder, index, allow_mismatch)
    if not getattr(
        encoder, "normalize", True
    ):  # its scores are not cosines: no bound to check them against
        index.vectors.score_limit = None
    ours, recorded = DEFAULTS | encoder.config(), DEFAULTS | expected
    differs = {k: v for k, v in ours.items() if recorded.get(k, v) != v}
    refused = {k: v for k, v in differs.items() if k in MUST_MATCH}
    if refused and not allow_mismatch:
        theirs = {k: expected.get(k) for k in refused}
        raise IndexFormatError(
            f"{index.path}: built with encoder {theirs}, but this encoder has {refused}; "
            "use the index's encoder (Linker.from_dir), or pass allow_mismatch=True"
        )
    named = {k: v for k, v in differs.items() if k not in NUMERIC}
    if named:
        logger.warning("encoder settings %s differ from the index's %s", named, expected)
    numeric = {k: v for k, v in differs.items() if k in NUMERIC}
    if numeric:
        _compare_vectors(encoder, index, numeric)


def _check_identity(encoder: Encoder, index: ConceptIndex, allow_mismatch: bool) -> None:
    """Refuse weights other than those that built the index (unless ``allow_mismatch``)."""
    recorded = index.manifest.encoder_identity.get("weights")
    location = getattr(encoder, "location", None)
    if recorded is None or location is None:
        return
    ours = weights_identity(location)
    if ours is None or ours == recorded:
        return
    message = (
        f"{index.path}: built with other weights than those of {encoder.model_name} now "
        f"(its files' hash is {ours}, the index records {recorded}: retrained or replaced "
        "since the build); rebuild the index with these weights, restore the old ones, or "
        "pass allow_mismatch=True (--allow-mismatch)"
    )
    if not allow_mismatch:
        raise IndexFormatError(message)
    logger.warning("%s; linking anyway (allow_mismatch)", message.split(";")[0])


def _compare_vectors(encoder: Encoder, index: ConceptIndex, differs: dict[str, Any]) -> None:
    """Warn when this encoder's vectors of some index names differ from the stored ones."""
    sample = index.vectors.spread(PROBES)
    if sample is None:  # an IVF index without a direct map: nothing to compare with
        logger.info("%s: cannot read stored vectors back to compare encoders", index.path)
        return
    rows, stored = sample[0].tolist(), sample[1]
    names = index.store.lookup(rows)
    texts = [names[r].name for r in rows]
    # in small batches, each on one thread: a load that ran a two-part batch held its buffers
    # (RSS after load 216 -> 240 MB on MEDIC, int8-block) before any query needed them
    fresh = np.vstack(
        [encoder.encode(texts[i : i + SMALL_INPUT]) for i in range(0, len(texts), SMALL_INPUT)]
    )
    norms = np.linalg.norm(stored, axis=1) * np.linalg.norm(fresh, axis=1)
    cosine = float(((stored * fresh).sum(1) / np.maximum(norms, 1e-12)).min())
    expected = {k: (DEFAULTS | index.manifest.encoder).get(k) for k in differs}
    if cosine < TOLERANCE:
        logger.warning(
            "%s: built with encoder settings %s, linking with %s: vectors of the same names "
            "differ (min cosine %.4f < %.2f); results may differ from the index's encoder",
            index.path,
            expected,
            differs,
            cosine,
            TOLERANCE,
        )
    else:
        logger.debug(
            "encoder %s against the index's %s: min cosine %.5f", differs, expected, cosine
        )
