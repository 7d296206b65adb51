"""BioSyn-style query preprocessing: abbreviations, composite mentions and text normalisation.

Usage::

    abbreviations = find_abbreviations(title_and_abstract)
    parts, ids = split_composite(resolve_abbreviations(mention, abbreviations), gold.split("|"))
    queries = [normalize_text(part, load_typos("ncbi-spell-check.txt")) for part in parts]

The steps follow ``preprocess/query_preprocess.py`` and ``src/biosyn/preprocesser.py`` of BioSyn
(dmis-lab/BioSyn), re-implemented here. BioSyn finds abbreviations with Ab3P; this module uses the
Schwartz & Hearst (2003) algorithm instead, so a few resolved query strings differ from BioSyn's.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

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


def _expand(text: str, abbreviations: Mapping[str, str], active: frozenset[str]) -> str:
    return " ".join(_expand_token(token, abbreviations, active) for token in text.split())


def _expand_token(token: str, abbreviations: Mapping[str, str], active: frozenset[str]) -> str:
    core, comma = (token[:-1], ",") if token.endswith(",") else (token, "")
    if "/" in core and core not in abbreviations:
        parts = (_expand_word(part, abbreviations, active) for part in core.split("/"))
        return "/".join(parts) + comma
    return _expand_word(core, abbreviations, active) + comma


def _expand_word(word: str, abbreviations: Mapping[str, str], active: frozenset[str]) -> str:
    if word in abbreviations and word not in active:  # never inside its own expansion
        return _expand(abbreviations[word], abbreviations, active | {word})
    return word


def resolve_abbreviations(mention: str, abbreviations: Mapping[str, str]) -> str:
    """Replace the abbreviations of a mention by their long forms, as BioSyn does.

    Parameters
    ----------
    mention : str
        The mention; its whitespace tokens are joined back with single spaces.
    abbreviations : Mapping of str to str
        ``{short form: long form}`` of the mention's document (see :func:`find_abbreviations`).

    Returns
    -------
    str
        Each token that is a short form (a trailing ``,`` aside), else each ``/``-separated part
        of it, replaced by its long form, expanded again until nothing changes. A short form is
        never expanded inside its own expansion, so cycles and ``APC -> APC gene`` stop.
    """
    return _expand(mention, abbreviations, frozenset())


# --- composite mentions ----------------------------------------------------------------------

_OF_BOTH = re.compile(  # "X of (both) (the) A and/or (the) B"
    r"(?P<head>[a-zA-Z-]+) of (?:both )?(?:the )?(?P<first>(?:[a-zA-Z-]+ )+)(?:and|or) "
    r"(?:the )?(?P<second>[a-zA-Z-]+(?: [a-zA-Z-]+)*)"
)
_NESTED_LIST = re.compile(  # "A, B and C and D stem": "C and D" stays one modifier
    r"(?P<heads>(?:[a-zA-Z-]+,? )+)(?:and|or|and/or) (?P<last>[a-zA-Z-]+ and [a-zA-Z-]+) "
    r"(?P<stem>.*)"
)
_PLAIN_LIST = re.compile(  # "A, B and/or C stem"
    r"(?P<heads>(?:[a-zA-Z-]+,? )+)(?:and|or|and/or) (?P<last>(?:the )?[a-zA-Z-]+) (?P<stem>.*)"
)
_SLASH = re.compile(r"(?P<prefix>.* )?(?P<first>[^ ]*)/(?P<second>.*)")  # "prefix A/B rest"


def _is_omim(identifier: str) -> bool:
    return identifier.upper().startswith("OMIM:") or identifier.isdigit()


def _composite_parts(mention: str) -> list[str] | None:
    """The parts from the first of BioSyn's rules that applies, or None when none does."""
    if match := _OF_BOTH.match(mention):
        head = match["head"]
        return [f"{head} of {match['first'].strip()}", f"{head} of {match['second'].strip()}"]
    if match := _NESTED_LIST.match(mention) or _PLAIN_LIST.match(mention):
        heads = [head.strip() for head in match["heads"].split(",")] + [match["last"]]
        return [f"{head} {match['stem']}" for head in heads if head]
    if "and/or" not in mention and (match := _SLASH.fullmatch(mention)):
        prefix = (match["prefix"] or "").strip()
        return [f"{prefix} {match[key].strip()}".strip() for key in ("first", "second")]
    return None


def split_composite(
    mention: str, gold_ids: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a composite mention into one part per gold ID, with BioSyn's rules.

    Parameters
    ----------
    mention : str
        The mention, after abbreviation resolution and before lowercasing.
    gold_ids : Sequence of str
        Its gold IDs, split on ``|`` or ``+``. An ID starting with ``OMIM:`` or all digits (bare
        OMIM numbers) is OMIM; when mixed with other IDs, the OMIM ones are dropped.

    Returns
    -------
    tuple of (tuple of str, tuple of str)
        ``(parts, ids)``: parts from the first matching rule in BioSyn's order (``X of (both)
        A and/or B``; ``A, B and/or C and D stem``; ``A, B and/or C stem``; without ``and/or``,
        ``prefix A/B rest``, where as in BioSyn the rest stays on B only), else one part per
        token. The mention is kept whole when the counts differ or a single ID is left.

    Examples
    --------
    >>> split_composite("breast and ovarian cancer", ["D001943", "D010051"])
    (('breast cancer', 'ovarian cancer'), ('D001943', 'D010051'))
    """
    ids = tuple(identifier.strip() for identifier in gold_ids)
    if any(map(_is_omim, ids)) and not all(map(_is_omim, ids)):
        ids = tuple(identifier for identifier in ids if not _is_omim(identifier))
    mention = mention.strip()
    if len(ids) < 2:
        return (mention,), ids
    parts = _composite_parts(mention)
    if parts is None:
        parts = mention.split()
    if len(parts) == len(ids):
        return tuple(parts), ids
    log.debug("composite %r: %d parts for %d ids, kept whole", mention, len(parts), len(ids))
    return (mention,), ids


# --- text normalisation ----------------------------------------------------------------------

_PUNCTUATION = re.compile(r"[\s{}]+".format(re.escape(string.punctuation.replace("|", ""))))


def normalize_text(text: str, typos: Mapping[str, str] | None = None) -> str:
    """Lowercase, correct known typos, and replace punctuation runs by one space (``|`` is kept).

    Parameters
    ----------
    text : str
        A mention or a dictionary name.
    typos : Mapping of str to str, optional
        ``{typo: correction}`` for whole lowercased whitespace tokens (see :func:`load_typos`).

    Returns
    -------
    str
        The words, separated by single spaces.
    """
    text = text.lower()
    if typos:
        text = " ".join(typos.get(token, token) for token in text.split())
    return " ".join(piece for piece in _PUNCTUATION.split(text) if piece)


def load_typos(path: str | Path) -> dict[str, str]:
    """Read a ``typo||correction`` file, one pair per line.

    Parameters
    ----------
    path : str or Path
        A UTF-8 file such as BioSyn's ``ncbi-spell-check.txt``.

    Returns
    -------
    dict of str to str
        ``{typo: correction}``; blank lines are skipped, a line without ``||`` maps to ``""``.
    """
    typos: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            typo, _, correction = line.partition("||")
            typos[typo] = correction
    return typos
