"""Realistic synthetic vocabularies for scale runs, and a cheap deterministic stand-in encoder.

Used by ``scripts/bench_scale.py`` (and the two-node Ray build): names made by recombining the
words of real MeSH, MEDIC, HPO and MONDO names, in concept groups of 1-10 names, streamed into an
``MRCONSO.RRF`` file; vectors from hashed character 3-grams projected to ``dim`` (not a model:
it only stands in for one so that 12M names can be indexed without hours of encoding).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from entitylink import read_vocabulary

logger = logging.getLogger("scale_names")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vocab"
DEFAULT_SOURCES = (
    SHARED / "mesh" / "mesh_id_label_mappings.tsv",
    SHARED / "ctd" / "medic_06Jul2012.txt",
    SHARED / "hpo" / "hp.obo",
    SHARED / "obo" / "mondo.json",
)
# names per concept, 1-10, mean about 3 (UMLS English: ~12M names for ~4M concepts)
GROUP_WEIGHTS = (30, 22, 15, 10, 7, 5, 4, 3, 2, 2)
QUALIFIERS = ("NOS", "(disorder)", "(finding)", "unspecified", "syndrome", "disease", "type 1")
POOL_LIMIT = 400_000  # real names kept as templates


def load_pool(sources: Sequence[Path], limit: int = POOL_LIMIT, seed: int = 0) -> list[str]:
    """Up to ``limit`` distinct real names from ``sources`` (any format entitylink reads)."""
    names: set[str] = set()
    for source in sources:
        before = len(names)
        for concept in read_vocabulary(source, strict=False):
            names.update(n.replace("|", " ") for n in concept.names if n.strip())
        logger.info("%s: %d names", source, len(names) - before)
    pool = sorted(names)
    random.Random(seed).shuffle(pool)
    return pool[:limit]


class NameGenerator:
    """Concept groups of 1-10 names, recombined from the words of real names (fixed seed)."""

    def __init__(self, pool: Sequence[str], seed: int = 0) -> None:
        if not pool:
            raise ValueError("no source names to recombine")
        self.pool = list(pool)
        self.words = [w for name in self.pool for w in name.split()]  # frequency-weighted
        self.random = random.Random(seed)

    def _word(self) -> str:
        return self.words[self.random.randrange(len(self.words))]

    def _variant(self, words: list[str]) -> list[str]:
        rnd, out = self.random, list(words)
        op = rnd.randrange(6)
        if op == 0 and len(out) > 1:  # inversion, as MeSH entry terms: "Cancer, Breast"
            out = [out[-1].rstrip(",") + ","] + out[:-1]
        elif op == 1:
            out[rnd.randrange(len(out))] = self._word()
        elif op == 2 and len(out) > 1:
            del out[rnd.randrange(len(out))]
        elif op == 3:
            out.append(QUALIFIERS[rnd.randrange(len(QUALIFIERS))])
        elif op == 4:
            out.insert(rnd.randrange(len(out) + 1), self._word())
        else:
            out = [w.upper() if len(w) <= 4 else w.lower() for w in out]
        return out

    def group(self) -> list[str]:
        """The names of one concept (the first is its preferred name), distinct once normalised."""
        rnd = self.random
        base = self.pool[rnd.randrange(len(self.pool))].split()
        for _ in range(1 + (len(base) > 2)):
            base[rnd.randrange(len(base))] = self._word()
        size = rnd.choices(range(1, 11), GROUP_WEIGHTS)[0]
        names, seen = [], set()
        words = base
        while len(names) < size:
            text = " ".join(words)
            key = " ".join(text.lower().split())
            if key in seen:
                words = [*words, self._word()]
                continue
            seen.add(key)
            names.append(text)
            words = self._variant(base)
        return names

    def groups(self, total: int) -> Iterator[list[str]]:
        """Groups until ``total`` names (the last group is cut to fit)."""
        made = 0
        while made < total:
            group = self.group()[: total - made]
            made += len(group)
            yield group


def write_mrconso(path: Path, groups: Iterator[list[str]]) -> tuple[int, int]:
    """Write ``groups`` as MRCONSO.RRF lines (CUI-sorted, 18 fields); returns (concepts, names)."""
    concepts = names = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for group in groups:
            concepts += 1
            cui = f"C{concepts:08d}"
            lines = []
            for i, name in enumerate(group):
                names += 1
                ts, stt, pref, tty = ("P", "PF", "Y", "PT") if i == 0 else ("S", "VO", "N", "SY")
                lines.append(
                    f"{cui}|ENG|{ts}|L{names:08d}|{stt}|S{names:08d}|{pref}|A{names:08d}||||"
                    f"SYN|{tty}|D{concepts:08d}|{name}|0|N||\n"
                )
            out.writelines(lines)
    return concepts, names


class HashedNgramEncoder:
    """A stand-in encoder: a sparse random projection of hashed character 3-grams.

    Each 3-gram of the lower-cased, space-padded name adds +-1 at ``hashes`` positions of a
    ``dim`` vector, chosen by multiplicative hashes (seeded, never Python's ``hash``); the sum
    is normalised. Names sharing 3-grams get close vectors, as names do under a real encoder.
    Deterministic, and about a million names in 10-20 s on one core.
    """

    MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)

    def __init__(self, dim: int = 384, seed: int = 0, hashes: int = 4) -> None:
        if not 1 <= hashes <= len(self.MULTIPLIERS):
            raise ValueError(f"hashes must be 1-{len(self.MULTIPLIERS)}, got {hashes}")
        self.dim, self.seed, self.hashes = dim, seed, hashes

    def config(self) -> dict[str, Any]:
        return {
            "model": "stand-in:hashed-char-3grams",
            "dim": self.dim,
            "seed": self.seed,
            "hashes": self.hashes,
            "normalize": True,
            "lowercase": True,
        }

    def encode(self, names: Sequence[str], batch_size: int = 4096) -> NDArray[np.float32]:
        out = np.empty((len(names), self.dim), dtype=np.float32)
        for start in range(0, len(names), batch_size):
            out[start : start + batch_size] = self._encode(names[start : start + batch_size])
        return out

    def _encode(self, names: Sequence[str]) -> NDArray[np.float32]:
        padded = [(" " + " ".join(n.lower().split()) + " ").encode() for n in names]
        lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
        data = np.frombuffer(b"".join(padded), dtype=np.uint8).astype(np.uint64)
        row = np.repeat(np.arange(len(padded), dtype=np.uint64), lengths)
        valid = np.flatnonzero(row[:-2] == row[2:])  # 3-grams inside one name
        codes = (data[valid] << 16) | (data[valid + 1] << 8) | data[valid + 2]
        codes += np.uint64(self.seed) << np.uint64(24)
        base = row[valid] * np.uint64(self.dim)
        summed = np.zeros(len(padded) * self.dim, dtype=np.float64)
        for multiplier in self.MULTIPLIERS[: self.hashes]:
            hashed = codes * np.uint64(multiplier)
            position = base + (hashed >> np.uint64(40)) % np.uint64(self.dim)
            sign = ((hashed >> np.uint64(39)) & np.uint64(1)).astype(np.float64) * 2 - 1
            summed += np.bincount(position.astype(np.int64), sign, minlength=len(summed))
        vectors = summed.reshape(len(padded), self.dim).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def standin_from_config(config: dict[str, Any], device: str = "cpu") -> HashedNgramEncoder:
    """The ``encoder_factory`` for Ray actors: the stand-in from its manifest config."""
    return HashedNgramEncoder(config["dim"], config["seed"], config["hashes"])
