"""The options shared by the commands, built here once: how an index is loaded (one group, one
meaning and one polarity per flag on every command that links), how a build encodes, the Ray
engine, and argument types (positive integers, ``KEY=N``, deprecated aliases).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..linking.options import LoadOptions

DEPRECATED = "deprecated_options"  # the namespace attribute listing the warnings to log


def positive_int(text: str) -> int:
    """An integer of at least 1 (``-k``, ``--batch-size``); otherwise a usage error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (``--query-cache``); otherwise a usage error."""
    if text.strip() == "0":
        return 0
    return positive_int(text)


class DeprecatedAlias(argparse.Action):
    """Store the value like the option it stands for, and note a warning for the command."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        self.replacement: str = kwargs.pop("replacement")
        self.reason: str = kwargs.pop("reason", "")
        kwargs.setdefault("help", argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        notes = list(getattr(namespace, DEPRECATED, None) or [])
        reason = f" ({self.reason})" if self.reason else ""
        notes.append(
            f"{parser.prog}: {option_string} is deprecated and will be removed; "
            f"use {self.replacement}{reason}"
        )
        setattr(namespace, DEPRECATED, notes)


def add_vocab_format(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    """``--vocab-format``, with ``--format`` kept as a deprecated alias."""
    parser.add_argument(
        "--vocab-format",
        choices=sorted(formats),
        help="vocabulary format (default: detected from the file)",
    )
    parser.add_argument(
        "--format",
        dest="vocab_format",
        choices=sorted(formats),
        action=DeprecatedAlias,
        replacement="--vocab-format",
        reason="--format is the output format of link",
    )


def _key_value(text: str) -> tuple[str, int]:
    key, sep, value = text.partition("=")
    if not sep or not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected KEY=INTEGER (e.g. efSearch=128), got {text!r}")
    return key, int(value)


def add_search_param(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--search-param KEY=N``, repeatable: stored in the manifest at build, used when linking."""
    parser.add_argument(
        "--search-param",
        action="append",
        type=_key_value,
        metavar="KEY=N",
        help="FAISS search parameter (efSearch, nprobe...), stored at build, overridden at link",
    )


def add_load_options(
    parser: argparse.ArgumentParser,
    *,
    retrieval: bool = True,
    mode_default: str = "hybrid when the index has a sparse part, dense otherwise",
) -> None:
    """How the index and its encoder are loaded (:class:`~entitylink.LoadOptions`): the same
    flags, defaults and meaning on every command that links (``retrieval``: with ``--mode``
    and ``--weight``)."""
    from ..linking.options import BACKEND_CHOICES, DEFAULT_QUERY_CACHE, MODES, QUANTIZE_CHOICES

    group = parser.add_argument_group("loading (the defaults are the fast path)")
    group.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="auto",
        help="auto: ONNX Runtime when installed, else torch (default: auto); torch: the "
        "PyTorch path the index was built with",
    )
    group.add_argument(
        "--quantize",
        choices=QUANTIZE_CHOICES,
        default="auto",
        help="auto: int8-block on ONNX, none on torch (default: auto); int8-block (ONNX): "
        "8-bit weights in blocks of 32, Acc@1 within 0.2 points of float32",
    )
    group.add_argument("--device", help="cpu, cuda, ... (torch; default: cuda when available)")
    group.add_argument(
        "--threads",
        type=positive_int,
        help="encoder threads (default: 1 for a few mentions, all cores for large inputs)",
    )
    group.add_argument(
        "--mmap",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="memory-map the FAISS file (default); --no-mmap reads it into memory",
    )
    group.add_argument(
        "--verify",
        action="store_true",
        help="compare the index's files with its manifest's checksums before loading",
    )
    group.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="link even with an encoder other than the one that built the index (another "
        "model, pooling or weights): a warning instead of an error",
    )
    add_search_param(group)
    group.add_argument(
        "--query-cache",
        type=non_negative_int,
        default=DEFAULT_QUERY_CACHE,
        metavar="N",
        help=f"query vectors of recent mentions kept for later calls (default: "
        f"{DEFAULT_QUERY_CACHE}; 0: none)",
    )
    group.add_argument(
        "--index-vectors",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a mention equal to a name of the index takes its stored vector instead of being "
        "encoded (default); --no-index-vectors encodes every mention",
    )
    if not retrieval:
        return
    group.add_argument(
        "--mode",
        choices=MODES,
        help=f"dense (encoder), sparse (char 3-gram TF-IDF) or hybrid (dense + w * sparse); "
        f"default: {mode_default}",
    )
    group.add_argument(
        "--weight",
        type=float,
        metavar="W",
        help="w of hybrid mode (default: the index manifest's, set by entitylink tune)",
    )


def load_options(args: argparse.Namespace) -> LoadOptions:
    """The :class:`~entitylink.LoadOptions` of a command's :func:`add_load_options` flags."""
    from ..linking.options import LoadOptions

    return LoadOptions(
        backend=args.backend,
        quantize=args.quantize,
        device=args.device,
        threads=args.threads,
        mmap=args.mmap,
        verify=args.verify,
        allow_mismatch=getattr(args, "allow_mismatch", False),
        search_params=dict(args.search_param or []),
        mode=getattr(args, "mode", None),
        weight=getattr(args, "weight", None),
        query_cache=args.query_cache,
        index_vectors=args.index_vectors,
    )


def engine_options() -> argparse.ArgumentParser:
    """``--engine``, ``--actors``... shared by ``build-index`` and ``link``."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("engine (Ray needs: pip install 'entitylink[ray]')")
    group.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process (default); ray: Ray actors, each loading the model once",
    )
    group.add_argument("--actors", type=int, default=2, help="Ray actors (default: 2)")
    group.add_argument(
        "--cpus-per-actor",
        type=float,
        help="CPUs per Ray actor (default: 1; when linking, less if the actors would take every "
        "CPU of the cluster, so that one stays free for reading the input)",
    )
    group.add_argument(
        "--gpus-per-actor", type=float, default=0, help="GPUs per Ray actor (default: 0)"
    )
    group.add_argument(
        "--ray-address", help="join this Ray cluster (e.g. ray://head:10001; default: local)"
    )
    return parent


def add_build_encoder_options(parser: argparse.ArgumentParser) -> None:
    """How ``build-index`` runs its encoder: ``--device``, ``--backend``, ``--threads``,
    ``--dtype``, ``--quantize`` (backend, dtype and quantisation go into the manifest)."""
    from ..encoding.options import BACKENDS, DTYPES, QUANTIZATIONS

    group = parser.add_argument_group("encoding the names")
    group.add_argument("--device", help="cpu, cuda, ... (default: cuda when available)")
    group.add_argument(
        "--backend",
        choices=("auto", *BACKENDS),
        default="auto",
        help="auto: ONNX Runtime float32 when installed and on the CPU (the same vectors as "
        "torch to cosine 0.9999999, about 3x faster), else torch (default: auto)",
    )
    group.add_argument(
        "--threads",
        type=positive_int,
        help="encoder threads (default: all cores)",
    )
    group.add_argument(
        "--dtype",
        choices=DTYPES,
        default="float32",
        help="bfloat16: autocast, torch only (default float32)",
    )
    group.add_argument(
        "--quantize",
        choices=QUANTIZATIONS,
        help="int8: dynamic quantisation of the build encoder, recorded in the manifest "
        "(default: none; the vectors stay float32 either way)",
    )
