from __future__ import annotations

import unicodedata

from entitylink.vocabularies._base import CONTROL, Problems, control_characters


def test_the_control_regex_is_the_category_test_on_every_code_point() -> None:
    for code in range(0x110000):
        char = chr(code)
        expected = unicodedata.category(char) == "Cc" and not char.isspace()
        assert bool(CONTROL.fullmatch(char)) == expected, f"U+{code:04X}"


def test_control_characters_are_found_and_stripped_in_one_pass() -> None:
    text = "heart\x00 attack\t\x1b[1m\x85x\x9f"
    assert control_characters(text) == ["\x00", "\x1b", "\x9f"]
    problems = Problems(strict=False)
    assert problems.clean("f", 1, text) == "heart attack\t[1m\x85x"
    assert problems.cleaned == 1
