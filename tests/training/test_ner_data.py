from __future__ import annotations

import pytest
from tokenizers import Tokenizer

from entitylink.encoding.models import packaged_model_dir
from entitylink.evaluation.benchmarks import load_benchmark
from entitylink.linking.bio import BioScheme, bio_labels
from entitylink.linking.token_windows import plain_tokenizer, specials
from entitylink.training.ner_data import (
    IGNORED,
    corpus_file,
    data_hash,
    ner_documents,
    ner_examples,
)
from tests.paths import shared_path


@pytest.mark.parametrize("corpus", ["ncbi-disease", "bc5cdr"])
def test_the_test_split_is_refused(corpus: str) -> None:
    with pytest.raises(ValueError, match="leak"):
        corpus_file(corpus, "test")
    with pytest.raises(ValueError, match="leak"):
        ner_documents([corpus], "test")


def test_no_test_document_enters_training_or_dev() -> None:
    """Neither the IDs nor the texts of the test documents are among those read for training
    (train) or for choosing the epoch (dev)."""
    shared_path("benchmarks", "bc5cdr")
    read = ner_documents(["ncbi-disease", "bc5cdr"], "train")
    read += ner_documents(["ncbi-disease", "bc5cdr"], "dev")
    for benchmark in ("ncbi-disease", "bc5cdr-chemical"):
        test = load_benchmark(benchmark, "test").documents
        assert test and not {d.id for d in read} & set(test)
        assert not {d.text for d in read} & set(test.values())


def test_documents_carry_their_typed_gold_spans() -> None:
    shared_path("benchmarks", "ncbi-disease")
    documents = ner_documents(["ncbi-disease", "bc5cdr"], "dev")
    gold = {
        (m.doc_id, m.start, m.end): m.text for m in load_benchmark("ncbi-disease", "dev").mentions
    }
    ncbi = [d for d in documents if d.corpus == "ncbi-disease"]
    assert len(ncbi) == 100
    assert {k for d in documents for *_, k in d.spans} == {"Disease", "Chemical"}
    assert {k for d in ncbi for *_, k in d.spans} == {"Disease"}
    for document in ncbi:
        for start, end, _ in document.spans:
            assert document.text[start:end] == gold[(document.id, start, end)]
    assert data_hash(documents) == data_hash(list(documents)) != data_hash(ncbi)


def test_windows_of_a_corpus_without_chemicals_let_o_stand_for_a_chemical() -> None:
    shared_path("benchmarks", "ncbi-disease")
    directory = packaged_model_dir()
    assert directory is not None
    tokenizer = plain_tokenizer(Tokenizer.from_file(str(directory / "tokenizer.json")))
    scheme = BioScheme.from_labels(bio_labels(["Chemical", "Disease"]))
    documents = ner_documents(["ncbi-disease", "bc5cdr"], "dev")[95:105]
    examples = ner_examples(documents, tokenizer, scheme, specials(tokenizer), size=62, overlap=8)
    chemical = {scheme.index("B", "Chemical"), scheme.index("I", "Chemical")}
    by_also = {frozenset(e.outside_also) for e in examples}
    assert by_also == {frozenset(chemical), frozenset()}
    assert all(len(e.ids) <= 64 and e.tags[0] == e.tags[-1] == IGNORED for e in examples)
    assert all(len(e.ids) == len(e.tags) for e in examples)
