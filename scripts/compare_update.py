"""An updated index against one built from scratch from the same names: the same mentions
(names of a vocabulary, perturbed as mentions are) linked with both, scored against the concept
each was drawn from, and the two top-10 lists compared.

    entitylink update indexes/medic-plus-hpo --add hp.obo            # a copy of indexes/medic-hnsw
    entitylink build-index medic.txt hp.obo --spec HNSW32 --out indexes/medic-hpo-scratch
    python scripts/compare_update.py indexes/medic-plus-hpo indexes/medic-hpo-scratch \\
        --vocab hp.obo --search-param efSearch=128
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

from entitylink import Linker, LoadOptions, read_vocabulary
from entitylink.cli.options import add_search_param
from entitylink.index.tuning import perturb


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("updated", type=Path)
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--vocab", type=Path, required=True, help="draw the mentions from it")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    add_search_param(parser)
    args = parser.parse_args(argv)
    rnd = random.Random(args.seed)
    drawn = rnd.sample(list(read_vocabulary(args.vocab)), args.queries)
    mentions = [perturb(rnd.choice(c.names), rnd) for c in drawn]
    options = LoadOptions(search_params=dict(args.search_param or []), query_cache=0)
    ranked: dict[str, list[list[str]]] = {}
    result: dict[str, Any] = {"queries": len(mentions)}
    for name, path in (("updated", args.updated), ("scratch", args.scratch)):
        linker = Linker.from_dir(path, options)
        ranked[name] = [[c.concept_id for c in m] for m in linker.link(mentions, k=10)]
        hits = [
            [cid == c.concept_id for cid in r] for r, c in zip(ranked[name], drawn, strict=True)
        ]
        result[name] = {
            "search_params": dict(linker.index.vectors.search_params),
            "acc1": sum(bool(h and h[0]) for h in hits) / len(hits),
            "in_top10": sum(any(h) for h in hits) / len(hits),
        }
    pairs = list(zip(ranked["updated"], ranked["scratch"], strict=True))
    result["identical_top10"] = sum(a == b for a, b in pairs) / len(pairs)
    result["top10_overlap"] = sum(len(set(a) & set(b)) for a, b in pairs) / (10 * len(pairs))
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
