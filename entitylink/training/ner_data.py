"""The mention detector's data: a corpus's train or dev documents, their spans as BIO tags in
token windows. The test split is never read (:func:`ner_documents` refuses it).

>>> documents = ner_documents(["ncbi-disease", "bc5cdr"], "train")          # doctest: +SKIP
>>> examples = ner_examples(documents, tokenizer, scheme, size=254, overlap=32)  # doctest: +SKIP

A corpus annotates some entity types only (NCBI-disease: diseases; BC5CDR: chemicals and
diseases). In its documents a token tagged ``O`` may still be an entity of a type the corpus
does not annotate, so each example lists those types' labels as what its ``O`` may stand for
(``outside_also``): the loss of :mod:`.ner` then counts the probability of all of them as
right, and a chemical in an NCBI-disease abstract is not taught as "no entity".
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..evaluation.benchmarks import BENCHMARKS, data_root, read_pubtator
from ..linking.bio import BioScheme, TypedSpan, entity_type
from ..linking.token_windows import Specials, model_inputs, tokenize, windows

__all__ = ["NER_CORPORA", "NER_SPLITS", "NerCorpus", "NerDocument", "NerExample"]

logger = logging.getLogger(__name__)

NER_SPLITS = ("train", "dev")
IGNORED = -100  # the tag of a special token: no loss


@dataclass(frozen=True)
class NerCorpus:
    """A named corpus: the benchmark whose PubTator files it is, the entity types it tags."""

    benchmark: str
    types: tuple[str, ...]


NER_CORPORA = {
    "ncbi-disease": NerCorpus("ncbi-disease", ("Disease",)),
    "bc5cdr": NerCorpus("bc5cdr-disease", ("Chemical", "Disease")),  # same files as -chemical
}


@dataclass(frozen=True)
class NerDocument:
    """One document: its text and its gold spans (non-overlapping, typed)."""

    corpus: str
    id: str
    text: str
    spans: tuple[TypedSpan, ...]


@dataclass(frozen=True)
class NerExample:
    """One window: token IDs with special tokens, a tag per token (:data:`IGNORED` on the
    special tokens) and the labels its ``O`` may stand for."""

    ids: tuple[int, ...]
    tags: tuple[int, ...]
    outside_also: tuple[int, ...]


def corpus_file(name: str, split: str) -> str:
    """The path (under the data root) of a corpus's split; never the test split."""
    if split not in NER_SPLITS:
        raise ValueError(
            f"the mention detector reads the train and dev splits only, not {split!r}: "
            "the test split would leak into the figures it is scored on"
        )
    if name not in NER_CORPORA:
        raise ValueError(f"unknown corpus {name!r}; expected one of {', '.join(NER_CORPORA)}")
    return BENCHMARKS[NER_CORPORA[name].benchmark].files[split]


def ner_documents(corpora: Iterable[str], split: str) -> list[NerDocument]:
    """The documents of ``split`` of each corpus, their mentions of the corpus's types."""
    found: list[NerDocument] = []
    for name in corpora:
        relative = corpus_file(name, split)  # refuses the test split before any data is looked for
        path = data_root() / relative
        bench = read_pubtator(path)
        by_doc: dict[str, list[TypedSpan]] = {doc: [] for doc in bench.documents}
        for m in bench.mentions:
            kind = entity_type(m.type or "")
            if kind in NER_CORPORA[name].types and m.start is not None and m.end is not None:
                by_doc.setdefault(m.doc_id or "", []).append((m.start, m.end, kind))
        for doc, text in bench.documents.items():
            found.append(NerDocument(name, doc, text, _non_overlapping(by_doc[doc])))
        logger.info("%s %s: %d documents (%s)", name, split, len(bench.documents), path)
    return found


def _non_overlapping(spans: list[TypedSpan]) -> tuple[TypedSpan, ...]:
    """The longest spans first, then leftmost; a span overlapping one kept is dropped."""
    kept: list[TypedSpan] = []
    for span in sorted(set(spans), key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= k[0] or k[1] <= span[0] for k in kept):
            kept.append(span)
    return tuple(sorted(kept))


def data_hash(documents: Sequence[NerDocument]) -> str:
    """A hash of the documents' IDs, texts and spans (what the model saw)."""
    digest = hashlib.sha256()
    for d in documents:
        digest.update(f"{d.corpus}\t{d.id}\t{d.text}\t{d.spans}\n".encode())
    return digest.hexdigest()


def ner_examples(
    documents: Sequence[NerDocument],
    tokenizer: object,
    scheme: BioScheme,
    special: Specials,
    *,
    size: int,
    overlap: int,
) -> list[NerExample]:
    """Every document cut into windows of ``size`` tokens (``tokenizer``: a plain
    ``tokenizers.Tokenizer``), tagged; logs the spans that do not start and end on token edges."""
    examples: list[NerExample] = []
    unaligned = total = 0
    tokenized = tokenize(tokenizer, [d.text for d in documents])
    for document, tokens in zip(documents, tokenized, strict=True):
        starts = {a for a, _ in tokens.offsets}
        ends = {b for _, b in tokens.offsets}
        unaligned += sum(s not in starts or e not in ends for s, e, _ in document.spans)
        total += len(document.spans)
        tags = scheme.encode(tokens.offsets, document.spans)
        missing = [t for t in scheme.types if t not in NER_CORPORA[document.corpus].types]
        also = tuple(scheme.index(tag, t) for t in missing for tag in "BI")
        spans = windows(len(tokens.ids), size, overlap)
        for (first, end), ids in zip(spans, model_inputs(tokens, spans, special), strict=True):
            examples.append(NerExample(tuple(ids), (IGNORED, *tags[first:end], IGNORED), also))
    logger.info(
        "%d windows of %d documents; %d of %d spans not on token edges (their words tagged)",
        len(examples),
        len(documents),
        unaligned,
        total,
    )
    return examples
