"""scispaCy's side of ``scripts/bench_peer.py``; runs in scispaCy's own environment (the
``[peer]`` extra, e.g. ``.venv-peer``) and imports nothing of entitylink.

    python scripts/peer_scispacy.py build MEDIC.tsv KB_DIR [EF]  # KB + TF-IDF ANN index
    python scripts/peer_scispacy.py run KB_DIR QUERIES.json SINGLE K  # one fresh process: figures

``build`` reads the CTD MEDIC file into scispaCy's ``KnowledgeBase`` (its JSONL format) and
builds the TF-IDF char-3-gram vectoriser and nmslib HNSW index with scispaCy's own
``create_tfidf_ann_index``; ``run`` loads them as scispaCy's ``CandidateGenerator`` does and
prints one JSON line: import and load seconds, RSS after load and at the end, single-mention
p50/p99, batch mentions/s, and the ranked concept IDs of every query (a concept scored by its
best alias, as scispaCy's ``EntityLinker`` does, without its 0.7 threshold).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def read_medic(path: Path) -> list[dict[str, object]]:
    """MEDIC as BioSyn distributes it (``ID|ALT_ID||name|synonym|...``, the dictionary entitylink
    reads too) as scispaCy KB entries: the first ID, the first name canonical."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if "||" not in line or line.startswith("#"):
            continue
        ids, _, names = line.partition("||")
        aliases = [n for n in names.split("|") if n]
        if not aliases:
            continue
        entries.append(
            {
                "concept_id": ids.split("|")[0],
                "canonical_name": aliases[0],
                "aliases": aliases[1:],
                "types": [],
            }
        )
    return entries


def build(vocab: Path, out: Path, ef_construction: int = 2000) -> None:
    from scispacy import candidate_generation
    from scispacy.linking_utils import KnowledgeBase
    from scispacy.util import scipy_supports_sparse_float16

    out.mkdir(parents=True, exist_ok=True)
    kb_file = out / "kb.jsonl"
    kb_file.write_text("".join(json.dumps(e) + "\n" for e in read_medic(vocab)))
    started = time.perf_counter()
    kb = KnowledgeBase(str(kb_file))
    how = "create_tfidf_ann_index"
    if scipy_supports_sparse_float16() and ef_construction == 2000:
        candidate_generation.create_tfidf_ann_index(str(out), kb)
    else:
        how = "same steps, float32 vectors"
        build_float32(out, kb, ef_construction)
    took = time.perf_counter() - started
    (out / "build.json").write_text(
        json.dumps({"build_s": took, "how": how, "ef_construction": ef_construction})
    )


def build_float32(out: Path, kb: object, ef_construction: int) -> None:
    """``create_tfidf_ann_index``'s steps and parameters (scispaCy 0.6.2) where SciPy >= 1.11 lacks
    the float16 sparse matrices it saves (it refuses to run there): the same vectoriser, the
    same empty-vector removal, the same nmslib HNSW space and M; the vectors file kept float32
    (only the build reads it); threads: this machine's cores instead of its 60."""
    import os

    import joblib
    import nmslib
    import numpy
    import scipy.sparse
    from scispacy.candidate_generation import LinkerPaths
    from sklearn.feature_extraction.text import TfidfVectorizer

    paths = LinkerPaths.from_directory(str(out))
    aliases = list(kb.alias_to_cuis.keys())  # type: ignore[attr-defined]
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 3), min_df=10, dtype=numpy.float32
    )
    tfidfs = vectorizer.fit_transform(aliases)
    joblib.dump(vectorizer, paths.tfidf_vectorizer)
    keep = numpy.asarray(tfidfs.sum(axis=1) != 0).reshape(-1)
    aliases = [alias for alias, kept in zip(aliases, keep, strict=True) if kept]
    tfidfs = tfidfs[keep]
    Path(paths.concept_aliases_list).write_text(json.dumps(aliases))
    scipy.sparse.save_npz(paths.tfidf_vectors, tfidfs)
    index = nmslib.init(
        method="hnsw", space="cosinesimil_sparse", data_type=nmslib.DataType.SPARSE_VECTOR
    )
    index.addDataPointBatch(tfidfs)
    params = {"M": 100, "efConstruction": ef_construction, "post": 0}
    index.createIndex({**params, "indexThreadQty": os.cpu_count() or 1}, print_progress=True)
    index.saveIndex(paths.ann_index)


def run(kb_dir: Path, queries: Path, single: int, k: int) -> None:
    from scispacy.candidate_generation import (
        CandidateGenerator,
        LinkerPaths,
        load_approximate_nearest_neighbours_index,
    )
    from scispacy.linking_utils import KnowledgeBase

    imported = time.perf_counter()
    paths = LinkerPaths(
        ann_index=str(kb_dir / "nmslib_index.bin"),
        tfidf_vectorizer=str(kb_dir / "tfidf_vectorizer.joblib"),
        tfidf_vectors=str(kb_dir / "tfidf_vectors_sparse.npz"),
        concept_aliases_list=str(kb_dir / "concept_aliases.json"),
    )
    import joblib

    generator = CandidateGenerator(
        ann_index=load_approximate_nearest_neighbours_index(paths),
        tfidf_vectorizer=joblib.load(paths.tfidf_vectorizer),
        ann_concept_aliases_list=json.loads(Path(paths.concept_aliases_list).read_text()),
        kb=KnowledgeBase(str(kb_dir / "kb.jsonl")),
    )
    loaded = time.perf_counter()
    rss = rss_mb()
    texts: list[str] = json.loads(queries.read_text())

    def ranked(candidates: list[object]) -> list[str]:
        best = {c.concept_id: max(c.similarities) for c in candidates}  # type: ignore[attr-defined]
        return sorted(best, key=lambda concept: -best[concept])[:k]

    generator(texts[:5], k)  # warm-up
    times = []
    for text in texts[:single]:
        started = time.perf_counter()
        ranked(generator([text], 2 * k)[0])
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    results = [ranked(c) for c in generator(texts, 2 * k)]
    seconds = time.perf_counter() - started
    times.sort()
    print(
        json.dumps(
            {
                "import_s": imported - STARTED,
                "load_s": loaded - imported,
                "rss_mb": rss,
                "rss_end_mb": rss_mb(),
                "single_p50_ms": 1000 * times[len(times) // 2],
                "single_p99_ms": 1000 * times[min(len(times) - 1, int(0.99 * len(times)))],
                "batch_mentions_per_s": len(texts) / seconds,
                "ranked": results,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(Path(sys.argv[2]), Path(sys.argv[3]), *map(int, sys.argv[4:5]))
    else:
        run(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
