"""``entitylink verify``: compare an index directory's files with its manifest's checksums."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

logger = logging.getLogger("entitylink")

EPILOG_VERIFY = """examples:
  entitylink verify indexes/medic
  entitylink verify indexes/medic || \
      entitylink build-index medic.txt --out indexes/medic --overwrite
"""


def add_verify_command(
    commands: Any, formatter: type[argparse.HelpFormatter], common: argparse.ArgumentParser
) -> None:
    verify = commands.add_parser(
        "verify",
        help="check every file of an index against the checksums in its manifest",
        description="Read every file of an index directory and compare it with the checksum its "
        "manifest records (BLAKE2b), then load it. Exit status 1, naming the file, when one "
        "differs (bit rot, a bad copy); an index built before checksums were recorded cannot be "
        "verified (exit 1: rebuild it).",
        epilog=EPILOG_VERIFY,
        formatter_class=formatter,
        parents=[common],
    )
    verify.add_argument("index", type=Path, help="index directory")


def run_verify(args: argparse.Namespace) -> None:
    from ..index.directory import verify_index

    index = verify_index(args.index)
    files = ", ".join(sorted(index.manifest.checksums))
    print(f"{index.path}: ok ({files} match the manifest's checksums)")


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that it unwinds (and cleans up) like Ctrl-C."""


def raise_on_sigterm() -> Callable[[], None]:
    """From now on SIGTERM raises :class:`Terminated` in the main thread, so that a build or an
    output unwinds and removes its temporary files as on Ctrl-C; returns the function that
    restores the previous handler."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        return lambda: None

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def terminated() -> int:
    print("terminated", file=sys.stderr)
    return 128 + signal.SIGTERM
