"""Argument types and actions shared by the commands: positive integers, deprecated aliases."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

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


MODES = ("dense", "sparse", "hybrid")  # entitylink.linking.hybrid.MODES, without importing it


def add_mode_options(
    parser: argparse.ArgumentParser,
    default: str = "hybrid when the index has a sparse part, dense otherwise",
) -> None:
    """``--mode`` and ``--weight``: dense, sparse or hybrid retrieval (``dense + w * sparse``)."""
    parser.add_argument(
        "--mode",
        choices=MODES,
        help=f"dense (encoder), sparse (char 3-gram TF-IDF) or hybrid (dense + w * sparse); "
        f"default: {default}",
    )
    parser.add_argument(
        "--weight",
        type=float,
        metavar="W",
        help="w of hybrid mode (default: the index manifest's, set by entitylink tune)",
    )
