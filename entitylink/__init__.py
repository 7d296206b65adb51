"""entitylink: link biomedical mentions to vocabulary concepts with a SapBERT-style encoder.

>>> from entitylink import Encoder, Linker, build_index, read_vocabulary
>>> concepts = read_vocabulary("data_samples/MRCONSO.RRF")
>>> index = build_index(concepts, Encoder(), "indexes/sample")  # doctest: +SKIP
>>> Linker.from_dir("indexes/sample").link(["heart attack"], k=5)  # doctest: +SKIP
"""

from __future__ import annotations

import typing as _typing
from importlib import import_module as _import_module

from ._version import __version__

if (
    _typing.TYPE_CHECKING
):  # for type checkers; at run time each name is imported on first use (PEP 562)
    from .encoding.encoder import Encoder
    from .encoding.options import DEFAULT_MODEL, SAPBERT
    from .errors import (
        BenchmarkFormatError,
        DocumentFormatError,
        EntityLinkError,
        IndexExistsError,
        IndexFormatError,
        InputError,
        MissingDependencyError,
        ModelLoadError,
        TableFormatError,
        TrainingError,
        VocabularyError,
    )
    from .evaluation.benchmarks import Benchmark, load_benchmark
    from .evaluation.harness import evaluate
    from .evaluation.protocols import prepare
    from .evaluation.reports import EvaluationReport
    from .evaluation.tune import tune_weight
    from .index.build import ConceptIndex, IndexManifest, build_index
    from .index.compact import compact_index
    from .index.sparse import SparseIndex
    from .index.sparse_writer import add_sparse
    from .index.tuning import tune_search
    from .index.update import update_index
    from .linking.annotate import Annotator, GivenSpans, annotate
    from .linking.detectors import DictionaryDetector
    from .linking.documents import Document, Span
    from .linking.linker import Linker
    from .linking.model_detector import ModelDetector
    from .linking.options import LoadOptions
    from .linking.spacy_detector import SpacyDetector
    from .linking.timing import StageTimes
    from .records import Candidate, Concept, Mention
    from .tables.dataframe import link_dataframe
    from .training.biosyn import train_biosyn
    from .training.config import BiosynConfig, NerConfig, TrainingConfig
    from .training.ner import train_ner, train_ner_on
    from .training.pairs import Pair, make_pairs, pairs_from_sources
    from .training.train import TrainingResult, train
    from .vocabularies import FORMATS, detect_format, read_vocabulary

# where each public name lives: `import entitylink` stays light (no torch, FAISS or pandas until
# a name that needs them is used), so the command line answers --help at once
_SOURCES = {
    "Annotator": ".linking.annotate",
    "Benchmark": ".evaluation.benchmarks",
    "BenchmarkFormatError": ".errors",
    "BiosynConfig": ".training.config",
    "Candidate": ".records",
    "Concept": ".records",
    "ConceptIndex": ".index.build",
    "DEFAULT_MODEL": ".encoding.options",
    "DictionaryDetector": ".linking.detectors",
    "Document": ".linking.documents",
    "DocumentFormatError": ".errors",
    "Encoder": ".encoding.encoder",
    "EntityLinkError": ".errors",
    "EvaluationReport": ".evaluation.reports",
    "FORMATS": ".vocabularies",
    "GivenSpans": ".linking.annotate",
    "IndexExistsError": ".errors",
    "IndexFormatError": ".errors",
    "InputError": ".errors",
    "IndexManifest": ".index.build",
    "Linker": ".linking.linker",
    "LoadOptions": ".linking.options",
    "Mention": ".records",
    "MissingDependencyError": ".errors",
    "ModelDetector": ".linking.model_detector",
    "ModelLoadError": ".errors",
    "NerConfig": ".training.config",
    "Pair": ".training.pairs",
    "SAPBERT": ".encoding.options",
    "SpacyDetector": ".linking.spacy_detector",
    "Span": ".linking.documents",
    "SparseIndex": ".index.sparse",
    "StageTimes": ".linking.timing",
    "TableFormatError": ".errors",
    "TrainingConfig": ".training.config",
    "TrainingError": ".errors",
    "TrainingResult": ".training.train",
    "VocabularyError": ".errors",
    "add_sparse": ".index.sparse_writer",
    "annotate": ".linking.annotate",
    "build_index": ".index.build",
    "compact_index": ".index.compact",
    "detect_format": ".vocabularies",
    "evaluate": ".evaluation.harness",
    "link_dataframe": ".tables.dataframe",
    "load_benchmark": ".evaluation.benchmarks",
    "make_pairs": ".training.pairs",
    "pairs_from_sources": ".training.pairs",
    "prepare": ".evaluation.protocols",
    "read_vocabulary": ".vocabularies",
    "train": ".training.train",
    "train_biosyn": ".training.biosyn",
    "train_ner": ".training.ner",
    "train_ner_on": ".training.ner",
    "tune_search": ".index.tuning",
    "tune_weight": ".evaluation.tune",
    "update_index": ".index.update",
}


def __getattr__(name: str) -> _typing.Any:
    """Import a public name's module on first use (PEP 562) and keep the name here."""
    if name not in _SOURCES:
        raise AttributeError(f"module 'entitylink' has no attribute {name!r}")
    value = getattr(_import_module(_SOURCES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Annotator",
    "Benchmark",
    "BenchmarkFormatError",
    "BiosynConfig",
    "Candidate",
    "Concept",
    "ConceptIndex",
    "DEFAULT_MODEL",
    "DictionaryDetector",
    "Document",
    "DocumentFormatError",
    "Encoder",
    "EntityLinkError",
    "EvaluationReport",
    "FORMATS",
    "GivenSpans",
    "IndexExistsError",
    "IndexFormatError",
    "IndexManifest",
    "InputError",
    "Linker",
    "LoadOptions",
    "Mention",
    "MissingDependencyError",
    "ModelDetector",
    "ModelLoadError",
    "NerConfig",
    "Pair",
    "SAPBERT",
    "SpacyDetector",
    "Span",
    "SparseIndex",
    "StageTimes",
    "TableFormatError",
    "TrainingConfig",
    "TrainingError",
    "TrainingResult",
    "VocabularyError",
    "__version__",
    "add_sparse",
    "annotate",
    "build_index",
    "compact_index",
    "detect_format",
    "evaluate",
    "link_dataframe",
    "load_benchmark",
    "make_pairs",
    "pairs_from_sources",
    "prepare",
    "read_vocabulary",
    "train",
    "train_biosyn",
    "train_ner",
    "train_ner_on",
    "tune_search",
    "tune_weight",
    "update_index",
]
