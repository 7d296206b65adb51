"""Score a model or baseline on a benchmark: the same as ``entitylink evaluate`` (see ``--help``).

python scripts/evaluate.py --benchmark ncbi-disease --baseline tfidf
"""

from __future__ import annotations

import sys

from entitylink.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["evaluate", *sys.argv[1:]]))
