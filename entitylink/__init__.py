"""entitylink: link biomedical mentions to vocabulary concepts with a SapBERT-style encoder.

>>> from entitylink import Encoder, Linker, build_index, read_vocabulary
>>> concepts = read_vocabulary("data_samples/MRCONSO.RRF")
>>> index = build_index(concepts, Encoder(), "indexes/sample")  # doctest: +SKIP
>>> Linker.from_dir("indexes/sample").link(["heart attack"], k=5)  # doctest: +SKIP
"""

from __future__ import annotations

from ._version import __version__
from .encoding.encoder import DEFAULT_MODEL, SAPBERT, Encoder
from .errors import (
    BenchmarkFormatError,
    EntityLinkError,
    IndexExistsError,
    IndexFormatError,
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
from .index.build import ConceptIndex, IndexManifest, build_index
from .linking.linker import Linker
from .records import Candidate, Concept, Mention
from .tables.dataframe import link_dataframe
from .training.pairs import Pair, make_pairs, pairs_from_sources
from .training.train import TrainingConfig, TrainingResult, train
from .vocabularies import FORMATS, detect_format, read_vocabulary

__all__ = [
    "Benchmark",
    "BenchmarkFormatError",
    "Candidate",
    "Concept",
    "ConceptIndex",
    "DEFAULT_MODEL",
    "Encoder",
    "EntityLinkError",
    "EvaluationReport",
    "FORMATS",
    "IndexExistsError",
    "IndexFormatError",
    "IndexManifest",
    "Linker",
    "Mention",
    "MissingDependencyError",
    "ModelLoadError",
    "Pair",
    "SAPBERT",
    "TableFormatError",
    "TrainingConfig",
    "TrainingError",
    "TrainingResult",
    "VocabularyError",
    "__version__",
    "build_index",
    "detect_format",
    "evaluate",
    "link_dataframe",
    "load_benchmark",
    "make_pairs",
    "pairs_from_sources",
    "prepare",
    "read_vocabulary",
    "train",
]
