from __future__ import annotations

import random

import pytest
from tokenizers import Tokenizer

from entitylink.encoding.models import packaged_model_dir
from entitylink.errors import ModelLoadError
from entitylink.linking.bio import BioScheme, bio_labels, entity_type
from entitylink.linking.token_windows import plain_tokenizer, tokenize

SCHEME = BioScheme.from_labels(bio_labels(["Disease", "Chemical"]))
TEXT = "Naïve café\r\nusers: Crohn’s disease—and\r\nTamoxifen-induced hepatitis (TIH) in Zürich."


def minilm_tokenizer() -> object:
    directory = packaged_model_dir()
    assert directory is not None
    return plain_tokenizer(Tokenizer.from_file(str(directory / "tokenizer.json")))


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Disease", "Disease"),
        ("DISEASE", "Disease"),
        ("B-Disease", "Disease"),
        ("I-DISEASE", "Disease"),
        ("B-SpecificDisease", "Disease"),
        ("Chemical", "Chemical"),
        ("B-CHEM", "Chemical"),
        ("I-Drug", "Chemical"),
        ("B-GENE", "Gene"),
        ("B-CellType", "CellType"),
    ],
)
def test_entity_type_joins_the_spellings_of_a_type(label: str, kind: str) -> None:
    assert entity_type(label) == kind


def test_labels_that_are_not_bio_tags_are_refused() -> None:
    with pytest.raises(ModelLoadError, match="not BIO tags"):
        BioScheme.from_labels(["LABEL_0", "LABEL_1"])
    with pytest.raises(ModelLoadError, match="not BIO tags"):
        BioScheme.from_labels(["B-Disease", "I-Disease"])  # no O


def test_io_and_uppercase_labels_are_read() -> None:
    scheme = BioScheme.from_labels(["O", "DISEASE", "CHEMICAL"])
    assert scheme.types == ("Chemical", "Disease")
    offsets = [(0, 3), (4, 7), (8, 11)]
    assert scheme.decode([1, 1, 2], offsets, "aaa bbb ccc") == [
        (0, 7, "Disease"),
        (8, 11, "Chemical"),
    ]


def test_decoding_starts_spans_on_b_on_a_stray_i_and_on_a_type_change() -> None:
    offsets = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11)]
    text = "a b c d e f"
    b, i = SCHEME.index("B", "Disease"), SCHEME.index("I", "Disease")
    chem = SCHEME.index("I", "Chemical")
    tags = [b, i, b, 0, i, chem]
    assert SCHEME.decode(tags, offsets, text) == [
        (0, 3, "Disease"),
        (4, 5, "Disease"),
        (8, 9, "Disease"),
        (10, 11, "Chemical"),
    ]


def test_a_span_is_widened_to_the_words_it_touches() -> None:
    text = "hepatitides here"
    offsets = [(0, 7), (7, 11), (12, 16)]  # "hepatit", "##ides", "here"
    assert SCHEME.decode([SCHEME.index("B", "Disease"), 0, 0], offsets, text) == [
        (0, 11, "Disease")
    ]


def test_spans_survive_encoding_and_decoding_on_non_ascii_and_crlf_text() -> None:
    """Gold spans on word edges come back exactly, as characters of the Python string."""
    tokenizer = minilm_tokenizer()
    (tokens,) = tokenize(tokenizer, [TEXT])
    words = [
        (a, b)
        for a, b in tokens.offsets
        if TEXT[a:b].isalnum()
        and (a == 0 or not TEXT[a - 1].isalnum())
        and (b == len(TEXT) or not TEXT[b].isalnum())
    ]
    rng = random.Random(0)
    for _ in range(50):
        chosen = sorted(rng.sample(range(len(words)), 4))
        spans = [(words[w][0], words[w][1], rng.choice(["Disease", "Chemical"])) for w in chosen]
        spans = [s for k, s in enumerate(spans) if k == 0 or chosen[k] > chosen[k - 1] + 1]
        tags = SCHEME.encode(tokens.offsets, spans)
        assert SCHEME.decode(tags, tokens.offsets, TEXT) == spans
    hepatitis = TEXT.index("hepatitis")
    span = (TEXT.index("Tamoxifen"), hepatitis + len("hepatitis"), "Disease")
    tags = SCHEME.encode(tokens.offsets, [span])
    (found,) = SCHEME.decode(tags, tokens.offsets, TEXT)
    assert TEXT[found[0] : found[1]] == "Tamoxifen-induced hepatitis"
    assert "\r\n" in TEXT and TEXT[found[1] + 1 : found[1] + 6] == "(TIH)"
