"""entitylink: link biomedical mentions to vocabulary concepts with a SapBERT-style encoder.

>>> from entitylink import Encoder, Linker, build_index, read_vocabulary
>>> concepts = read_vocabulary("data_samples/MRCONSO.RRF")
>>> index = build_index(concepts, Encoder(), "indexes/sample")  # doctest: +SKIP
>>> Linker.from_dir("indexes/sample").link(["heart attack"], k=5)  # doctest: +SKIP
"""

from __future__ import annotations

from ._version import __version__
from .batch import link_dataframe
from .benchmarks import Benchmark, load_benchmark
from .encoders import DEFAULT_MODEL, SAPBERT, Encoder
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
from .evaluation import evaluate
from .index import ConceptIndex, IndexManifest, build_index
from .linker import Linker
from .pairs import Pair, make_pairs, pairs_from_sources
from .protocols import prepare
from .records import Candidate, Concept, Mention
from .reports import EvaluationReport
from .training import TrainingConfig, TrainingResult, train
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
