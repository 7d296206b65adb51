"""Arrays for the index tests: random unit vectors, a written vector file, and how much of a
file this process holds in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def unit_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def resident_bytes(path: Path) -> int:
    """RSS of this process's mappings of ``path`` (from /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        first = line.split()[0] if line.split() else ""
        if "-" in first and not first.endswith(":"):  # a mapping's header line
            inside = line.rstrip().endswith(str(path))
        elif inside and first == "Rss:":
            total += int(line.split()[1]) * 1024
    return total


def written_memmap(path: Path, n: int, dim: int) -> np.memmap:
    vectors = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, dim))
    vectors[:] = unit_vectors(n, dim)
    return vectors
