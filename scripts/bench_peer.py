"""entitylink beside scispaCy's linker: same dictionary, same queries, fresh processes back to back.

    python scripts/bench_peer.py indexes/medic             # entitylink's defaults
    python scripts/bench_peer.py indexes/medic --backend torch   # its PyTorch float32 path
    python scripts/bench_peer.py indexes/medic --peer-python .venv-peer/bin/python --single 300

Both systems answer the same test queries of a benchmark (``plain`` protocol: the mentions as
written, NCBI-disease by default) against the same vocabulary file (MEDIC): entitylink from an
index directory built from it, scispaCy from a knowledge base and TF-IDF/nmslib index that its
own code (``create_tfidf_ann_index``) builds from the same file, once, under ``--kb-dir``
(``scripts/peer_scispacy.py``). scispaCy runs in its own environment (``--peer-python``; the
``[peer]`` extra, kept apart because spaCy pins its own dependencies). Each system is timed in a
fresh process: import, load, RSS after load and at the end, single-mention p50/p99 (one mention
per call), batch mentions/s; the ranked concept IDs come back and are scored here with the same
code (Acc@1/Acc@5, a concept's alternative IDs counting, as ``entitylink evaluate``).
entitylink's query-vector cache is emptied before each phase (single, batch), so no phase
gains from an earlier one; where each phase's query vectors came from (a name's stored
vector, a repeat, the encoder) is in ``query_vectors_single`` and ``query_vectors_batch``.

entitylink loads its index as ``entitylink link`` does: the same option group
(:func:`entitylink.cli.options.add_load_options`) and defaults, handed to the fresh process as
:meth:`~entitylink.LoadOptions.to_json`; with no flag, the defaults a user meets (ONNX
int8-block when onnxruntime is installed, the index memory-mapped).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
MEDIC = ROOT.parent / "shared" / "data" / "vocab" / "ctd" / "medic_06Jul2012.txt"

OURS = """
import json, sys, time
from dataclasses import asdict
started = time.perf_counter()
from entitylink import Linker, LoadOptions
imported = time.perf_counter()
linker = Linker.from_dir(sys.argv[1], LoadOptions.from_json(sys.argv[2]))
loaded = time.perf_counter()
def rss_mb():
    status = open("/proc/self/status").read().splitlines()
    return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:")) / 1024
rss = rss_mb()
texts = json.loads(open(sys.argv[3]).read())
single, k = int(sys.argv[4]), int(sys.argv[5])
linker.link(texts[:5], k=k)
linker.queries.clear()  # each phase starts without cached query vectors
times = []
for text in texts[:single]:
    t = time.perf_counter(); linker.link([text], k=k); times.append(time.perf_counter() - t)
single_counts = linker.queries.counts
linker.queries.clear()
t = time.perf_counter(); found = linker.link(texts, k=k); seconds = time.perf_counter() - t
single_counts = asdict(single_counts)
batch = {n: count - single_counts[n] for n, count in asdict(linker.queries.counts).items()}
times.sort()
print(json.dumps({"import_s": imported - started, "load_s": loaded - imported, "rss_mb": rss,
    "rss_end_mb": rss_mb(),
    "single_p50_ms": 1000 * times[len(times) // 2],
    "single_p99_ms": 1000 * times[min(len(times) - 1, int(0.99 * len(times)))],
    "batch_mentions_per_s": len(texts) / seconds,
    "query_vectors_single": single_counts,
    "query_vectors_batch": batch,
    "encoder_avoided_batch": 1 - batch["encoded"] / max(1, len(texts)),
    "torch_imported": "torch" in sys.modules, "encoder": linker.encoder.config(),
    "ranked": [[c.concept_id for c in cands] for cands in found]}))
"""


def _json_run(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def score(
    ranked: dict[str, list[str]], prepared: Any, ids: dict[str, frozenset[str]]
) -> dict[str, float]:
    """Acc@1 and Acc@5 of ranked concept IDs per query text (every part must be hit)."""
    from entitylink.evaluation.harness import accuracy_at_k, first_hit_rank

    ranks = []
    for query in prepared.queries:
        parts = [[ids.get(c, frozenset({c})) for c in ranked[p]] for p in query.parts]
        ranks.append(first_hit_rank(parts, query.gold, 10))
    return {"acc1": round(accuracy_at_k(ranks, 1), 4), "acc5": round(accuracy_at_k(ranks, 5), 4)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from entitylink.cli.options import add_load_options, load_options

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path, help="entitylink index built from --vocab")
    parser.add_argument("--vocab", type=Path, default=MEDIC, help="MEDIC (CTD) file")
    parser.add_argument("--benchmark", default="ncbi-disease")
    parser.add_argument("--peer-python", type=Path, default=ROOT / ".venv-peer" / "bin" / "python")
    parser.add_argument("--kb-dir", type=Path, default=ROOT / "indexes" / "scispacy-medic")
    add_load_options(parser)  # how entitylink loads its index, as entitylink link
    parser.add_argument("--single", type=int, default=200, help="mentions timed one by one")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write the JSON here too")
    args = parser.parse_args(argv)
    from entitylink import read_vocabulary
    from entitylink.evaluation.protocols import concept_ids, prepare

    prepared = prepare(args.benchmark, "plain", vocabulary=[args.vocab])
    texts = sorted({part for query in prepared.queries for part in query.parts})
    ids: dict[str, frozenset[str]] = {}  # any ID of a concept, prefixed or bare -> all its IDs
    for concept in read_vocabulary(args.vocab):
        every = concept_ids(concept)
        for one in every | {concept.concept_id}:
            ids[one] = ids[one.split(":")[-1]] = every
    options = load_options(args)
    result: dict[str, Any] = {
        "benchmark": args.benchmark,
        "queries": len(prepared.queries),
        "texts": len(texts),
        "vocab": str(args.vocab),
        "loadavg_before": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        queries = Path(tmp) / "queries.json"
        queries.write_text(json.dumps(texts))
        ours_cmd = [sys.executable, "-c", OURS, str(args.index), options.to_json()]
        ours = _json_run([*ours_cmd, str(queries), str(args.single), str(args.k)])
        ours_ranked = dict(zip(texts, ours.pop("ranked"), strict=True))
        result["entitylink"] = {
            **ours,
            "options": options.to_dict(),
            **score(ours_ranked, prepared, ids),
        }
        peer_script = str(ROOT / "scripts" / "peer_scispacy.py")
        if not args.peer_python.exists():
            result["scispacy"] = {"error": f"{args.peer_python} not found (pip install scispacy)"}
        else:
            if not (args.kb_dir / "nmslib_index.bin").exists():
                _json_run(
                    [str(args.peer_python), peer_script, "build", str(args.vocab), str(args.kb_dir)]
                )
            peer = _json_run(
                [str(args.peer_python), peer_script, "run", str(args.kb_dir), str(queries)]
                + [str(args.single), str(args.k)]
            )
            peer_ranked = dict(zip(texts, peer.pop("ranked"), strict=True))
            build = args.kb_dir / "build.json"
            extra = json.loads(build.read_text()) if build.exists() else {}
            result["scispacy"] = {**peer, **extra, **score(peer_ranked, prepared, ids)}
    result["loadavg_after"] = os.getloadavg()
    if "acc1" in result.get("scispacy", {}):
        ours, peer = result["entitylink"], result["scispacy"]
        result["meets"] = {
            "import_plus_load": ours["import_s"] + ours["load_s"]
            <= peer["import_s"] + peer["load_s"],
            "rss": ours["rss_mb"] <= peer["rss_mb"],
            "rss_end": ours["rss_end_mb"] <= peer["rss_end_mb"],
            "single_p50": ours["single_p50_ms"] <= peer["single_p50_ms"],
            "batch": ours["batch_mentions_per_s"] >= peer["batch_mentions_per_s"],
            "acc1_ahead": ours["acc1"] > peer["acc1"],
        }
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()
