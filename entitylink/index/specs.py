"""Which FAISS index to build: a factory string and its search parameters, chosen from the
number of names, their dimension and a memory budget (``--spec auto``), or defaults for a spec
given by name.

>>> choose_spec(783_967, 384, memory_budget=parse_size("1GB"))
('IVF4096,SQ8', {'nprobe': 2048})
"""

from __future__ import annotations

import logging
import math
import re

logger = logging.getLogger(__name__)

AUTO = "auto"
# Exact search while a query scans at most 200k MiniLM (100k BERT-base) vectors, ~300 MB: Flat
# over all 784k MeSH names took 45 ms per single query here (scripts/bench_index.py).
FLAT_MAX_FLOATS = 200_000 * 384
# Probing half the inverted lists kept recall@10 >= 0.99 against exact search on MeSH (784k
# names, MiniLM, BC5CDR-chemical queries): 0.992 with 2048 of 4096 lists, 0.980 with 1024.
IVF_NPROBE_SHARE = 50  # percent
REFINE_K_FACTOR = 8  # RFlat re-ranks 8x the wanted hits with the full vectors
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str) -> int:
    """Bytes in ``"4GB"``, ``"512MiB"``, ``"1.5G"`` or ``"1000000"``.

    >>> parse_size("4GB"), parse_size("512MiB"), parse_size("1.5g")
    (4000000000, 536870912, 1500000000)
    """
    match = re.fullmatch(r"\s*([\d.]+)\s*([kmgt]?)(i?)b?\s*", text.lower())
    if not match:
        raise ValueError(f"cannot read a size from {text!r}; write e.g. 4GB, 512MiB or 1.5G")
    number, unit, binary = match.groups()
    scale = 1024 ** "kmgt".index(unit) * 1024 if binary and unit else _UNITS[unit]
    return int(float(number) * scale)


def ivf_lists(names: int) -> int:
    """About ``4 sqrt(names)`` inverted lists, rounded to a power of two (at least 2)."""
    return int(2 ** max(1, round(math.log2(4 * math.sqrt(max(names, 1))))))


def estimated_bytes(spec: str, names: int, dim: int) -> int:
    """Memory of a loaded index of one of the specs :func:`choose_spec` picks from."""
    if spec == "Flat":
        return names * 4 * dim
    match = re.fullmatch(r"IVF(\d+),(SQ8|PQ(\d+)x4fs)(,RFlat)?", spec)
    if not match:
        raise ValueError(f"no memory estimate for {spec!r}")
    lists, codes, subquantizers, refine = match.groups()
    per_vector = dim if codes == "SQ8" else int(subquantizers) // 2
    per_vector += 8 + (4 * dim if refine else 0)  # the id, and the full vector for RFlat
    return names * per_vector + int(lists) * dim * 4  # plus the centroids


def choose_spec(
    names: int, dim: int, memory_budget: int | None = None
) -> tuple[str, dict[str, int]]:
    """The FAISS spec and search parameters for ``--spec auto``, as autofaiss chooses.

    Exact ``Flat`` while ``names * dim`` <= :data:`FLAT_MAX_FLOATS`; then the first of these
    whose :func:`estimated_bytes` fits ``memory_budget`` (bytes; ``None``: no limit), each
    probing half its ``k`` (about ``4 sqrt(names)``) lists:

    - ``IVF{k},PQ{dim/4}x4fs,RFlat``: fast-scan codes re-ranked with the full vectors; the
      fastest at recall@10 >= 0.99 on MeSH (3.7 ms a query against 45 ms for ``Flat``), and
      about as large as ``Flat``;
    - ``IVF{k},SQ8``: 8-bit codes, a quarter of the memory, as slow as ``Flat`` at that recall;
    - ``IVF{k},PQ{dim/4}x4fs``: an eighth of ``SQ8``; recall@10 well below 0.99 (warned).

    HNSW is not offered: on MeSH it needed ``efSearch`` 4096 for recall@10 0.99 (20 ms a
    query, a 100 s build) and with ``SQ8`` did not reach it (``scripts/bench_index.py``).

    >>> choose_spec(50_000, 768)
    ('Flat', {})
    >>> choose_spec(12_000_000, 768, memory_budget=parse_size("16GB"))
    ('IVF16384,SQ8', {'nprobe': 8192})
    """
    if names < 0 or dim < 1:
        raise ValueError(f"need names >= 0 and dim >= 1, got {names} and {dim}")
    lists = ivf_lists(names)
    probe = {"nprobe": max(1, lists * IVF_NPROBE_SHARE // 100)}
    pq = f"IVF{lists},PQ{max(1, dim // 4)}x4fs"
    ladder: list[tuple[str, dict[str, int]]] = [
        (f"{pq},RFlat", {**probe, "k_factor_rf": REFINE_K_FACTOR}),
        (f"IVF{lists},SQ8", probe),
        (pq, probe),
    ]
    if names * dim <= FLAT_MAX_FLOATS:
        ladder.insert(0, ("Flat", {}))
    for spec, params in ladder:
        if memory_budget is None or estimated_bytes(spec, names, dim) <= memory_budget:
            if spec == pq:
                logger.warning("only %s fits the memory budget: expect recall@10 < 0.99", spec)
            return spec, params
    smallest = estimated_bytes(pq, names, dim)
    raise ValueError(
        f"no index of {names} vectors of dimension {dim} fits {memory_budget} bytes; "
        f"the smallest ({pq}) needs about {smallest} bytes"
    )


def default_search_params(spec: str) -> dict[str, int]:
    """Search parameters for a spec given by name (``--spec auto`` brings its own).

    IVF probes an eighth of its lists (at least 32) and HNSW searches 128 deep: fast, with
    recall@10 against ``Flat`` of 0.86-0.95 on MeSH, which cost BC5CDR-chemical no Acc@1 (see
    the README); ``--search-param`` trades speed for recall. ``RFlat`` re-ranks 8x.
    """
    params: dict[str, int] = {}
    if "HNSW" in spec:
        params["efSearch"] = 128
    if match := re.search(r"IVF(\d+)", spec):
        lists = int(match.group(1))
        params["nprobe"] = min(lists, max(32, lists // 8))
    if "RFlat" in spec or "Refine" in spec:
        params["k_factor_rf"] = REFINE_K_FACTOR
    return params
