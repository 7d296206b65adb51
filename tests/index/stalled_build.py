"""``python stalled_build.py STAGE GO ARGV...``: run ``entitylink ARGV`` but stall at STAGE.

At the stage it prints ``STAGE name`` and waits (in Python, so signals are handled) until the
file GO exists (``-``: never; the test kills it), at most two minutes. Stages: ``sqlite`` (after
three batches of concepts are stored), ``encoding`` (after the first chunk of names),
``faiss-training`` (before FAISS trains and fills), ``faiss-write`` (vectors.faiss partly
written), ``rename`` (the build complete in its hidden directory, before it moves into place),
``exchanged`` (just after it was exchanged with the old index, before that is removed),
``aside`` (as if the OS could not exchange: the old index moved aside, the new one not in).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from entitylink.cli import main
from entitylink.encoding.encoder import Encoder
from entitylink.index import build, store, store_writer, swap
from entitylink.index.checksums import HashingFile
from entitylink.index.vectors import VectorIndex


def stall(name: str, go: str) -> None:
    print(f"STAGE {name}", flush=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if go != "-" and os.path.exists(go):
            return
        time.sleep(0.05)
    raise SystemExit(f"stalled at {name} for two minutes")


def on_call(cls: Any, method: str, call: int, stage: str, go: str, before: bool = True) -> None:
    """Stall at the ``call``-th call of ``cls.method`` (before it runs, or after)."""
    original, calls = getattr(cls, method), [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if before and calls[0] == call:
            stall(stage, go)
        result = original(*args, **kwargs)
        if not before and calls[0] == call:
            stall(stage, go)
        return result

    setattr(cls, method, wrapper)


def run() -> int:
    stage, go, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    if stage == "sqlite":
        store_writer.CONCEPT_BATCH = 50
        on_call(store.ConceptStore, "add", 3, stage, go, before=False)
    elif stage == "encoding":
        build.ENCODE_CHUNK = 200
        on_call(Encoder, "encode", 1, stage, go, before=False)
    elif stage == "faiss-training":
        on_call(VectorIndex, "fill", 1, stage, go)
    elif stage == "faiss-write":
        on_call(HashingFile, "write", 3, stage, go)
    elif stage == "rename":
        on_call(swap, "_replace", 1, stage, go)
    elif stage == "exchanged":  # the two directories just exchanged, the old one not removed
        on_call(swap, "exchange", 1, stage, go, before=False)
    elif stage == "aside":  # an OS without the exchange: the old index moved aside, no new one
        swap.exchange = lambda first, second: False  # type: ignore[assignment]
        on_call(swap, "rename_noreplace", 2, stage, go)
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    return main(argv)


if __name__ == "__main__":
    raise SystemExit(run())
