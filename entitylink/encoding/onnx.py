"""The ONNX Runtime backend of :class:`~entitylink.encoding.encoder.Encoder`.

A checkpoint is exported once to ONNX (:mod:`.export`: this step alone needs torch and
transformers; imported here, lazily, and never the other way) and cached under
``$ENTITYLINK_CACHE/onnx/<key>/`` (default ``~/.cache/entitylink``), ``key`` being a hash of the
checkpoint's config and weights; the cache's layout and file names are :mod:`.onnx_cache`'s.

Running it needs ``onnxruntime``, ``tokenizers`` and numpy only; pooling is done in numpy.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import MissingDependencyError
from .onnx_cache import FILES, SOURCE_FILE, TASKS, cache_dir, known_key
from .tokens import TOKENIZER_FILE, Tokens

logger = logging.getLogger(__name__)

__all__ = ["OnnxModel", "onnx_files", "quantize_blocks", "quantize_int8"]

ONNX_HINT = "pip install 'entitylink[onnx]'"
BLOCK = 32  # int8-block: weights quantised in blocks of this many values, one scale each
HALF_EMBEDDINGS_FROM = 1 << 20  # int8-block: Gather tables of this many values or more in float16


def onnx_files(location: str, quantize: str | None, task: str = "hidden") -> tuple[Path, Path]:
    """The ONNX graph (exported, quantised on first use) and ``tokenizer.json`` of a checkpoint;
    ``task``: its last hidden states (an encoder) or ``"token-classification"`` logits."""
    directory = cache_dir() / f"{known_key(location)}{TASKS[task]}"
    graph = directory / FILES[quantize]
    if not (directory / FILES[None]).is_file() or not (directory / TOKENIZER_FILE).is_file():
        from .export import export_onnx  # torch and transformers, this once

        export_onnx(location, directory, task)
    if not graph.is_file():
        quantizer = quantize_blocks if quantize == "int8-block" else quantize_int8
        quantizer(directory / FILES[None], graph)
    return graph, directory / TOKENIZER_FILE


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the graph's weights, per output channel (per tensor lost
    up to 0.07 of cosine on MiniLM, per channel 0.01), activations quantised at run time."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise MissingDependencyError(f"onnxruntime is not installed ({exc}): {ONNX_HINT}") from exc
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    quantize_dynamic(str(source), str(partial), weight_type=QuantType.QInt8, per_channel=True)
    partial.replace(target)


def quantize_blocks(source: Path, target: Path) -> None:
    """Every MatMul's weights as 8-bit integers in blocks of ``BLOCK`` values along the input
    axis, each block with its own scale (onnxruntime's ``MatMulNBits``), the activations
    quantised per block at run time (``accuracy_level`` 4). On MiniLM and 1,500 MeSH names the
    mean cosine to float32 is 0.9996, against 0.992 for per-channel ``int8``; a single mention
    runs about as fast (``scripts/bench_link.py``)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:  # the quantiser's module calls logging.basicConfig(level=INFO) when imported
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    except ImportError as exc:
        raise MissingDependencyError(
            f"onnx-ir or onnxruntime missing ({exc}): {ONNX_HINT}"
        ) from exc
    finally:
        root.handlers[:], root.level = handlers, level
    logging.getLogger(MatMulNBitsQuantizer.__module__).setLevel(logging.WARNING)  # per MatMul
    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(source)), bits=8, block_size=BLOCK, is_symmetric=True, accuracy_level=4
    )
    quantizer.process()
    half_embeddings(quantizer.model.model)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    quantizer.model.save_model_to_file(str(partial), use_external_data_format=False)
    partial.replace(target)


def half_embeddings(model: Any, smallest: int = HALF_EMBEDDINGS_FROM) -> None:
    """Keep each large float32 table read by a ``Gather`` (the word embeddings: 30,522 x 384
    for MiniLM, 47 MB of the int8-block graph's 60 MB) as float16, cast back to float32
    after the lookup: half the memory, and a cosine to the float32 table's vectors of
    0.99999 (float16's 11-bit mantissa on values of about 0.05)."""
    import onnx
    from onnx import numpy_helper

    graph = model.graph
    tables = {table.name: table for table in graph.initializer}
    for position, node in reversed(list(enumerate(graph.node))):
        table = tables.get(node.input[0]) if node.op_type == "Gather" else None
        if table is None or table.data_type != onnx.TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(table)
        if values.size < smallest:
            continue
        half = numpy_helper.from_array(values.astype(np.float16), f"{table.name}_float16")
        graph.initializer.remove(table)
        graph.initializer.append(half)
        looked_up = node.output[0]
        node.input[0], node.output[0] = half.name, f"{looked_up}_float16"
        cast = onnx.helper.make_node(
            "Cast",
            [node.output[0]],
            [looked_up],
            to=onnx.TensorProto.FLOAT,
            name=f"{node.name}_cast",
        )
        graph.node.insert(position + 1, cast)


class OnnxModel:
    """An exported checkpoint in ONNX Runtime: one single-threaded session, made at load.

    A batch on ``threads > 1`` is cut into ``threads`` parts run at once on a small thread
    pool (``InferenceSession.run`` is thread-safe and releases the GIL), so the packed weights
    are held once, not once per thread count (a second session of MiniLM int8-block held
    ~80 MB more), and the batch runs faster than on one session's intra-op threads (MEDIC
    names, batches of 128, 2 cores: about 700 against 560 names/s).
    """

    def __init__(
        self,
        location: str,
        *,
        pooling: str,
        max_length: int,
        quantize: str | None,
        task: str = "hidden",
    ) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise MissingDependencyError(
                f"onnxruntime is not installed ({exc}): {ONNX_HINT}"
            ) from exc
        self.graph, tokenizer = onnx_files(location, quantize, task)
        self.tokens, self.tokens_file = Tokens.load(tokenizer.parent, max_length), tokenizer
        self.pad_id, self.pooling = self.tokens.pad_id, pooling
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # threads that spin waiting for work steal the CPU from a busy machine's other jobs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session: Any = onnxruntime.InferenceSession(
            str(self.graph), options, providers=["CPUExecutionProvider"]
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_size = 0
        source = json.loads((self.graph.parent / SOURCE_FILE).read_text())
        self.dim = int(source["hidden_size"])

    def hidden(
        self, ids: NDArray[np.int64], mask: NDArray[np.int64], threads: int
    ) -> NDArray[np.float32]:
        """The graph's output for one padded batch (last hidden states; a token classifier's
        logits), in ``threads`` parts run at once."""
        parts = min(threads, len(ids))
        if parts <= 1:
            out: NDArray[np.float32] = self.session.run(None, _feed(ids, mask))[0]
            return out
        if self._pool is None or self._pool_size < parts:
            self._pool = ThreadPoolExecutor(parts, thread_name_prefix="entitylink-onnx")
            self._pool_size = parts
        bounds = np.linspace(0, len(ids), parts + 1).astype(int)
        runs = [
            self._pool.submit(self.session.run, None, _feed(ids[a:b], mask[a:b]))
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        return np.concatenate([run.result()[0] for run in runs])

    def pooled(
        self, ids: NDArray[np.int64], mask: NDArray[np.int64], threads: int
    ) -> NDArray[np.float32]:
        """Pooled vectors (not normalised) of one padded batch."""
        hidden = self.hidden(ids, mask, threads)
        if self.pooling == "cls":
            return np.ascontiguousarray(hidden[:, 0], dtype=np.float32)
        if len(mask) == 1:  # one text, no padding: a plain mean (the single-mention path)
            return hidden.mean(axis=1, dtype=np.float32)  # type: ignore[no-any-return]
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        pooled: NDArray[np.float32] = (summed / np.maximum(weights.sum(axis=1), 1.0)).astype(
            np.float32
        )
        return pooled


def _feed(ids: NDArray[np.int64], mask: NDArray[np.int64]) -> dict[str, NDArray[np.int64]]:
    return {"input_ids": ids, "attention_mask": mask}
