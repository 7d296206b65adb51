from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from entitylink import SAPBERT, Encoder, ModelLoadError
from entitylink.encoding.encoder import OFFLINE_DEFAULT

NAMES = [
    "Myocardial infarction",
    "heart attack",
    "MI",
    "Epidermolysis bullosa with diaphragmatic hernia and a name long enough to be truncated "
    "well past twenty-five word pieces, as some UMLS strings are",
    "type 2 diabetes mellitus",
    "",
    "5-FU",
] * 40


def reference_vectors(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """The model card's loop: padding to max_length, batches of 128, no sorting."""
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), 128):
            batch = [t.lower() for t in texts[start : start + 128]]
            tokens = encoder.tokenizer(
                batch,
                padding="max_length",
                max_length=encoder.max_length,
                truncation=True,
                return_tensors="pt",
            )
            hidden = encoder.model(**tokens).last_hidden_state
            if encoder.pooling == "cls":
                vectors = hidden[:, 0]
            else:
                mask = tokens["attention_mask"].unsqueeze(-1).float()
                vectors = (hidden * mask).sum(1) / mask.sum(1)
            out.append(torch.nn.functional.normalize(vectors, dim=-1).numpy())
    return np.concatenate(out)


@pytest.mark.parametrize("which", ["tiny_encoder", "minilm"])
def test_vectors_equal_the_model_card_loop(which: str, request: pytest.FixtureRequest) -> None:
    encoder: Encoder = request.getfixturevalue(which)
    ours = encoder.encode(NAMES, batch_size=32)
    reference = reference_vectors(encoder, NAMES)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.9999


def test_encode_keeps_input_order_and_shape(tiny_encoder: Encoder) -> None:
    names = ["a much longer name of several words", "MI", "heart attack"]
    together = tiny_encoder.encode(names, batch_size=2)
    alone = np.concatenate([tiny_encoder.encode([n]) for n in names])
    assert together.shape == (3, tiny_encoder.dim) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_empty_input_returns_empty_array(tiny_encoder: Encoder) -> None:
    assert tiny_encoder.encode([]).shape == (0, tiny_encoder.dim)


def test_normalize_false_keeps_raw_cls_vectors(tiny_model_dir: Path) -> None:
    raw = Encoder(str(tiny_model_dir), pooling="cls", normalize=False, device="cpu")
    vectors = raw.encode(["heart attack", "asthma"])
    assert not np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    tokens = raw.tokenizer(["heart attack"], return_tensors="pt")
    with torch.no_grad():
        expected = raw.model(**tokens).last_hidden_state[0, 0].numpy()
    np.testing.assert_allclose(vectors[0], expected, atol=1e-5)


def test_long_text_is_truncated_to_max_length(tiny_encoder: Encoder) -> None:
    ids = tiny_encoder.tokenize(["fever " * 100])
    assert len(ids[0]) == tiny_encoder.max_length == 25


def test_config_round_trip(tiny_encoder: Encoder) -> None:
    config = tiny_encoder.config()
    assert config == {
        "model": tiny_encoder.model_name,
        "pooling": "cls",
        "max_length": 25,
        "normalize": True,
        "lowercase": True,
        "dim": 32,
    }
    again = Encoder.from_config(config, device="cpu")
    np.testing.assert_allclose(again.encode(["asthma"]), tiny_encoder.encode(["asthma"]))


def test_offline_default_is_the_packaged_minilm(minilm: Encoder) -> None:
    assert minilm.model_name == OFFLINE_DEFAULT
    assert (minilm.pooling, minilm.dim) == ("mean", 384)


def test_unreachable_hub_names_the_model_and_the_fix() -> None:
    with pytest.raises(ModelLoadError) as caught:
        Encoder(SAPBERT, device="cpu")
    message = str(caught.value)
    assert SAPBERT in message
    assert "hub could not be reached" in message
    assert "local directory" in message and OFFLINE_DEFAULT in message


def test_missing_local_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        Encoder(str(tmp_path / "nowhere"))


def test_bad_pooling_lists_the_choices(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="expected one of cls, mean"):
        Encoder(str(tiny_model_dir), pooling="max")


def test_default_config_has_no_speed_keys_and_speed_options_round_trip(
    tiny_model_dir: Path, tiny_encoder: Encoder
) -> None:
    assert "dtype" not in tiny_encoder.config() and "quantize" not in tiny_encoder.config()
    fast = Encoder(str(tiny_model_dir), pooling="cls", device="cpu", dtype="bfloat16")
    small = Encoder(str(tiny_model_dir), pooling="cls", device="cpu", quantize="int8")
    assert fast.config()["dtype"] == "bfloat16" and small.config()["quantize"] == "int8"
    for encoder in (fast, small):
        again = Encoder.from_config(encoder.config(), device="cpu")
        assert again.config() == encoder.config()
        vectors = encoder.encode(NAMES[:7])
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(again.encode(NAMES[:7]), vectors, atol=1e-6)
        exact = tiny_encoder.encode(NAMES[:7])
        assert float((vectors * exact).sum(1).min()) > 0.95  # approximate, not unrelated


def test_token_budget_gives_the_same_vectors(tiny_encoder: Encoder) -> None:
    fixed = tiny_encoder.encode(NAMES)
    for budget in (1, 40, 1000):
        budgeted = tiny_encoder.encode(NAMES, max_tokens=budget)
        assert float((fixed * budgeted).sum(1).min()) > 1 - 1e-6


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"dtype": "float16"}, "unknown dtype 'float16'; expected one of float32, bfloat16"),
        ({"quantize": "int4"}, "unknown quantize 'int4'; expected None or one of int8"),
        ({"quantize": "int8", "device": "meta"}, "runs on the CPU only"),
    ],
)
def test_bad_speed_options_name_the_choices(
    tiny_model_dir: Path, option: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Encoder(str(tiny_model_dir), **option)  # type: ignore[arg-type]
