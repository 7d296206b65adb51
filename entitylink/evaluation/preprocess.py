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
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..linking.abbreviations import find_abbreviations

log = logging.getLogger(__name__)

__all__ = [
    "find_abbreviations",
    "load_typos",
    "normalize_text",
    "resolve_abbreviations",
    "split_composite",
]


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
