from __future__ import annotations

from pathlib import Path

import pytest

from entitylink import ConceptIndex, Encoder, Linker, read_vocabulary
from entitylink.cli import main
from entitylink.evaluation.benchmarks import load_benchmark
from entitylink.evaluation.harness import dictionary_index
from entitylink.evaluation.preprocess import normalize_text
from entitylink.evaluation.protocols import Prepared, Query, prepare
from entitylink.evaluation.tune import check_split, tune_weight
from entitylink.index.build import reindex
from entitylink.records import Concept, Mention
from tests.paths import SAMPLES, shared_path


def _prepared(
    split: str, queries: list[tuple[str, str]], dictionary: tuple[Concept, ...]
) -> Prepared:
    made = tuple(
        Query((text,), frozenset({gold}), Mention(text=text, gold=(gold,)))
        for text, gold in queries
    )
    return Prepared("tiny", split, "plain", made, dictionary, "sample")


@pytest.fixture(scope="module")
def linker(
    tmp_path_factory: pytest.TempPathFactory, sample_index: ConceptIndex, minilm: Encoder
) -> Linker:
    out = tmp_path_factory.mktemp("tune") / "sample"
    return Linker(minilm, reindex(sample_index.path, out, spec="Flat", sparse=True, progress=False))


def test_tune_scores_every_weight_and_picks_the_best(linker: Linker) -> None:
    dictionary = tuple(read_vocabulary(SAMPLES / "MRCONSO.RRF"))
    dev = _prepared("dev", [("heart attak", "C0027051"), ("hypertensiv", "C0020538")], dictionary)
    result = tune_weight(linker, dev, (0.0, 0.5, 1.0), progress=False)
    assert set(result.scores) == {0.0, 0.5, 1.0} and result.split == "dev"
    best = max(s["acc@1"] for s in result.scores.values())
    assert result.scores[result.weight]["acc@1"] == best
    assert result.note()["split"] == "dev"


def test_tune_refuses_the_test_split(linker: Linker) -> None:
    test = _prepared("test", [("fever", "C0015967")], ())
    with pytest.raises(ValueError, match="leak"):
        tune_weight(linker, test, (0.0, 1.0), progress=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["tune", "--benchmark", "ncbi-disease", "--split", "test"])
    assert exit_info.value.code == 2  # a usage error: test is not a choice


def test_the_dev_data_tune_receives_holds_no_test_mention() -> None:
    """What tune scores on: the dev queries and a dictionary of vocabulary names only, so no
    test mention (nor its gold ID pairing) reaches the choice of w."""
    shared_path("benchmarks", "ncbi-disease")
    for protocol in ("sapbert", "plain"):
        dev = prepare("ncbi-disease", protocol, split="dev")
        check_split(dev)
        vocabulary = prepare("ncbi-disease", protocol, split="dev").dictionary
        names = {normalize_text(n) for c in dev.dictionary for n in c.names}
        test_only = {
            normalize_text(m.text) for m in load_benchmark("ncbi-disease", "test").mentions
        } - {normalize_text(n) for c in vocabulary for n in c.names}
        test_only -= {normalize_text(q.mention.text) for q in dev.queries}
        assert test_only and not test_only & names
        test_docs = {m.doc_id for m in load_benchmark("ncbi-disease", "test").mentions}
        assert not {q.mention.doc_id for q in dev.queries} & test_docs


def test_dictionary_index_reuses_cached_vectors(
    tmp_path: Path, minilm: Encoder, caplog: pytest.LogCaptureFixture
) -> None:
    dictionary = tuple(read_vocabulary(SAMPLES / "MRCONSO.RRF"))
    first = dictionary_index(
        _prepared("dev", [], dictionary[:20]), minilm, tmp_path, progress=False
    )
    caplog.set_level("INFO", logger="entitylink")
    second = dictionary_index(
        _prepared("dev", [], dictionary[:30]), minilm, tmp_path, progress=False
    )
    assert "to encode" in caplog.text and second.sparse is not None
    assert second.vectors.index.reconstruct(0) == pytest.approx(first.vectors.index.reconstruct(0))
    fresh = minilm.encode([second.store.names(25, 26)[0]])[0]
    assert second.vectors.index.reconstruct(25) == pytest.approx(fresh, abs=1e-5)


def test_the_cli_repeats_the_grid_and_splits() -> None:
    from entitylink.cli import tune as cli_tune
    from entitylink.evaluation import tune

    assert (cli_tune.GRID, cli_tune.TUNABLE_SPLITS) == (tune.GRID, tune.TUNABLE_SPLITS)
