"""Compare two index directories: manifest keys, vectors and concept tables.

Usage: python scripts/compare_indexes.py indexes/medic indexes/medic-ray
Prints a JSON object; exit status 0 when they match (timing fields and float tolerance aside).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import faiss
import numpy as np

TIMING = {"build_seconds", "created_at"}


def table(path: Path, name: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path / "concepts.sqlite") as connection:
        return connection.execute(f"SELECT * FROM {name} ORDER BY 1").fetchall()


def main() -> int:
    a, b = (Path(p) for p in sys.argv[1:3])
    manifests = [json.loads((p / "manifest.json").read_text()) for p in (a, b)]
    differing = sorted(k for k in manifests[0] if manifests[0][k] != manifests[1].get(k))
    first, second = (faiss.read_index(str(p / "vectors.faiss")) for p in (a, b))
    va, vb = first.reconstruct_n(0, first.ntotal), second.reconstruct_n(0, second.ntotal)
    same_shape = va.shape == vb.shape
    result = {
        "manifest_keys_differing": differing,
        "vectors": [first.ntotal, second.ntotal],
        "max_abs_difference": float(np.abs(va - vb).max()) if same_shape else None,
        "concepts_equal": table(a, "concepts") == table(b, "concepts"),
        "names_equal": table(a, "names") == table(b, "names"),
    }
    print(json.dumps(result, indent=2))
    close = same_shape and result["max_abs_difference"] <= 1e-5
    ok = close and result["concepts_equal"] and result["names_equal"]
    return 0 if ok and set(differing) <= TIMING else 1


if __name__ == "__main__":
    raise SystemExit(main())
