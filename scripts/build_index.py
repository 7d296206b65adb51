"""Build an index directory: the same as ``entitylink build-index`` (see ``--help``).

python scripts/build_index.py data_samples/MRCONSO.RRF --out indexes/sample
"""

from __future__ import annotations

import sys

from entitylink.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["build-index", *sys.argv[1:]]))
