"""Schwartz & Hearst (2003) abbreviation definitions in a document, and where short forms recur.

>>> find_abbreviations("It causes Wilson disease (WD) in man (n = 3).")
{'WD': 'Wilson disease'}
>>> short_form_spans("Wilson disease (WD) is rare. WD and WDs.", {"WD": "Wilson disease"})
[(16, 18, 'WD'), (29, 31, 'WD')]

Used by text annotation (:mod:`entitylink.linking.annotate`: a short form is linked through its
long form) and by the BioSyn-style query preprocessing of :mod:`entitylink.evaluation.preprocess`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

# --- Schwartz-Hearst abbreviation definitions ------------------------------------------------

_SENTENCE_BREAK = re.compile(r"\n+|(?<=[.!?])\s+(?=[A-Z])")
_DEFINITION_CUT = re.compile(r"[,;]\s")
_PARENTHESES = re.compile(r"(?<=\s)\(([^()]+)\)")  # not nested, after a space: not "Ca(2+)"
_WORD = re.compile(r"[^\s-]+")


def _is_short_form(candidate: str) -> bool:
    return (
        2 <= len(candidate) <= 10
        and len(candidate.split()) <= 2
        and candidate[0].isalnum()
        and any(char.isalpha() for char in candidate)
    )


def _best_long_form(short: str, text: str) -> str | None:
    """Schwartz & Hearst's match: short-form characters right to left, the first starting a word."""
    position = len(text) - 1
    for index in range(len(short) - 1, -1, -1):
        wanted = short[index].lower()
        if not wanted.isalnum():
            continue
        while position >= 0 and (
            text[position].lower() != wanted
            or (index == 0 and position > 0 and text[position - 1].isalnum())
        ):
            position -= 1
        if position < 0:
            return None
        position -= 1
    return text[text.rfind(" ", 0, position + 1) + 1 :]


def _initials_long_form(short: str, text: str) -> str | None:
    """An extension to S&H: the last words of ``text`` if their initials spell the short form.

    S&H alone takes the shortest match: ``adenomatous polyposis coli`` for
    ``attenuated adenomatous polyposis coli (AAPC)``.
    """
    letters = [char.lower() for char in short if char.isalnum()]
    words = list(_WORD.finditer(text))[-len(letters) :]
    if len(letters) < 2 or len(words) < len(letters):
        return None
    if [word.group()[0].lower() for word in words] != letters:
        return None
    return text[text.rfind(" ", 0, words[0].start()) + 1 :]


def _plausible(short: str, long: str) -> bool:
    """The paper's length limits: at most min(|A| + 5, 2|A|) words for |A| short-form chars."""
    size = sum(char.isalnum() for char in short)
    words = len(_WORD.findall(long))
    return (
        len(long) > len(short)
        and short not in long.split()
        and words <= min(size + 5, 2 * size)
        and long.count("(") == long.count(")")
        and long.count("[") == long.count("]")
    )


def _sentence_pairs(sentence: str) -> Iterator[tuple[str, str]]:
    for match in _PARENTHESES.finditer(sentence):
        inside = _DEFINITION_CUT.split(match[1], maxsplit=1)[0].strip()
        before = sentence[: match.start()].rstrip()
        if not inside or not before:
            continue
        if len(inside.split()) > 2 or len(inside) > len(before):
            # the reverse case, "SF (long form)": the short form is the word before "("
            short, text = before.split()[-1].strip(",;:\"'"), inside
            if not any(char.isupper() for char in short):
                continue
        else:  # the long form cannot reach back past an earlier ")" or clause break
            short, text = inside, before[max(map(before.rfind, ");:")) + 1 :]
        if not short or not _is_short_form(short):
            continue
        long = _initials_long_form(short, text) or _best_long_form(short, text)
        long = long.lstrip("-/[\"'").rstrip("\"'") if long else None
        if long is not None and _plausible(short, long):
            yield short, long


def find_abbreviations(text: str) -> dict[str, str]:
    """Find abbreviation definitions in a document with the Schwartz & Hearst algorithm.

    Parameters
    ----------
    text : str
        The document, cut into sentences at line breaks and at ``.!?`` + space + capital.

    Returns
    -------
    dict of str to str
        ``{short form: long form}`` for each ``long form (SF)`` or ``SF (long form)`` that passes
        the paper's checks; the first definition of a short form is kept.

    Examples
    --------
    >>> find_abbreviations("It causes Wilson disease (WD) in man (n = 3).")
    {'WD': 'Wilson disease'}
    """
    found: dict[str, str] = {}
    for sentence in _SENTENCE_BREAK.split(text):
        for short, long in _sentence_pairs(sentence):
            found.setdefault(short, long)
    return found


def short_form_spans(text: str, abbreviations: Mapping[str, str]) -> list[tuple[int, int, str]]:
    """Every occurrence of a short form as a whole word: ``(start, end, short form)``, in order.

    A short form counts where it is not glued to a letter or digit on either side, so ``WD``
    is found in ``(WD)`` and ``WD,`` but not in ``WDs`` or ``AWD``; of overlapping ones the
    longest is kept. One Aho-Corasick pass: time linear in the text, however many short forms.
    """
    if not abbreviations:
        return []
    import ahocorasick  # here: evaluation's readers import this module, the CLI's --help them

    automaton = ahocorasick.Automaton()
    for short in abbreviations:
        automaton.add_word(short, short)
    automaton.make_automaton()
    found = []
    for last, short in automaton.iter(text):
        start, end = last + 1 - len(short), last + 1
        if (start == 0 or not text[start - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum()
        ):
            found.append((start, end, short))
    found.sort(key=lambda hit: (hit[0], -hit[1]))
    kept: list[tuple[int, int, str]] = []
    for hit in found:
        if not kept or hit[0] >= kept[-1][1]:
            kept.append(hit)
    return kept
