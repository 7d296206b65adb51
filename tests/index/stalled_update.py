"""``python stalled_update.py STAGE GO ARGV...``: run ``entitylink ARGV`` (an update or a
compaction) but stall at STAGE, as ``stalled_build.py`` does for builds. Stages: ``sqlite`` (the
concept table of the new generation changed), ``encoding`` (the first chunk of new names
encoded), ``faiss-write`` (its vectors.faiss partly written), ``rename`` (the generation whole
in its hidden directory), ``exchanged`` (just swapped with the old one, before that is removed).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from tests/index

from entitylink.cli import main  # noqa: E402
from entitylink.encoding.encoder import Encoder  # noqa: E402
from entitylink.index import checksums, swap, update  # noqa: E402
from tests.index.stalled_build import on_call  # noqa: E402


def run() -> int:
    stage, go, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    if stage == "sqlite":
        on_call(update, "_change_table", 1, stage, go, before=False)
    elif stage == "encoding":
        on_call(Encoder, "encode", 1, stage, go, before=False)
    elif stage == "faiss-write":
        on_call(checksums.HashingFile, "write", 3, stage, go)
    elif stage == "rename":
        on_call(swap, "_replace", 1, stage, go)
    elif stage == "exchanged":
        on_call(swap, "exchange", 1, stage, go, before=False)
    else:
        raise SystemExit(f"unknown stage {stage!r}")
    return main(argv)


if __name__ == "__main__":
    raise SystemExit(run())
