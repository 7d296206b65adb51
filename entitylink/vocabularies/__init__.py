"""Vocabularies: vocabulary files (RRF, OBO, MEDIC, MeSH, tables) → Concept records.

One reader per format, all yielding :class:`~entitylink.records.Concept`.

>>> from entitylink import read_vocabulary
>>> concepts = list(read_vocabulary("data_samples/MRCONSO.RRF"))   # format detected
>>> concepts = read_vocabulary("hp.obo", synonym_scopes=("EXACT", "RELATED"))  # doctest: +SKIP

Readers stream: they yield concepts as they parse, so a full UMLS release never sits in memory.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import VocabularyError
from ..records import Concept
from ._base import COMPRESSED, Problems, normalize_name
from .ctd import read_biosyn, read_ctd, read_mesh
from .obo import read_obo, read_obo_json
from .tables import read_dataframe, read_jsonl, read_table
from .umls import read_umls

__all__ = ["FORMATS", "detect_format", "normalize_name", "read_vocabulary"]

if TYPE_CHECKING:
    import pandas as pd

Reader = Callable[..., Iterator[Concept]]
FORMATS: dict[str, Reader] = {
    "rrf": read_umls,
    "obo": read_obo,
    "obojson": read_obo_json,
    "biosyn": read_biosyn,
    "ctd": read_ctd,
    "mesh": read_mesh,
    "tsv": read_table,
    "csv": read_table,
    "jsonl": read_jsonl,
}
_MESH_ID = re.compile(r"^(MESH:)?[CD]\d{6,9}\t")


def _head(path: Path, size: int = 4096) -> str:
    from ._base import READ_ERRORS, open_binary, read_failure

    with open_binary(path) as handle:
        try:
            return handle.read(size).decode("utf-8", errors="replace")
        except READ_ERRORS as exc:
            raise VocabularyError(f"{path}:1: cannot read: {read_failure(exc)}") from None


def detect_format(path: str | Path) -> str:
    """Name the format of a vocabulary file from its name and first bytes.

    Raises :class:`VocabularyError` when the file is missing or its format cannot be told.
    """
    path = Path(path)
    if path.is_dir():
        if (path / "MRCONSO.RRF").exists():
            return "rrf"
        raise VocabularyError(f"{path}: a directory without MRCONSO.RRF")
    if not path.exists():
        raise VocabularyError(f"{path}: no such file")
    name = path.name.lower()
    for compressed in COMPRESSED:
        name = name.removesuffix(compressed)
    suffix = Path(name).suffix
    if suffix == ".rrf":
        return "rrf"
    if suffix in (".obo", ".jsonl", ".csv"):
        return suffix[1:]
    head = _head(path)
    first = next((line for line in head.splitlines() if line.strip()), "")
    if suffix == ".json":
        is_table = head.lstrip().startswith("[") and re.search(
            r'"(concept_id|canonical_name)"', head
        )
        return "jsonl" if is_table else "obojson"
    if "Comparative Toxicogenomics" in head or first.startswith("DiseaseName\t"):
        return "ctd"
    if "||" in first:
        return "biosyn"
    if _MESH_ID.match(first):
        return "mesh"
    if re.search(r"\b(concept_id|cui|id|name|canonical_name)\b", first):
        return "tsv"
    raise VocabularyError(
        f"{path}: cannot tell the vocabulary format from its name or first line {first[:60]!r}; "
        f"name it with format= (--format), one of: {', '.join(FORMATS)}"
    )


def read_vocabulary(
    source: str | Path | pd.DataFrame,
    /,
    format: str | None = None,
    *,
    strict: bool = True,
    **options: Any,
) -> Iterator[Concept]:
    """Stream the concepts of a vocabulary file (or DataFrame), one :class:`Concept` each.

    Parameters
    ----------
    source
        A file (``.gz`` is read transparently), a UMLS ``META`` directory, or a DataFrame.
    format
        One of :data:`FORMATS`; detected from the file when ``None``.
    strict
        Raise :class:`VocabularyError` (with file and line) on the first bad line; when False,
        skip bad lines and log how many were skipped.
    **options
        Reader options: ``languages``, ``sabs``, ``exclude_sabs``, ``suppress``, ``mrsty``,
        ``mrdef`` (``rrf``); ``synonym_scopes`` (``obo``, ``obojson``); ``source`` (most).

    Names that normalise alike (case, spacing) within one concept are kept once.
    """
    if not isinstance(source, str | Path):  # a DataFrame (pandas is imported by its reader)
        format, reader, where = "dataframe", read_dataframe, Path("DataFrame")
    else:
        where = Path(source)
        format = format or detect_format(where)
        if format not in FORMATS:
            known = ", ".join(FORMATS)
            raise ValueError(f"unknown vocabulary format {format!r}; expected one of {known}")
        if not where.exists():
            raise VocabularyError(f"{where}: no such file")
        reader = FORMATS[format]
        if format == "csv":
            options.setdefault("delimiter", ",")
    allowed = set(inspect.signature(reader).parameters) - {"path", "frame", "problems"}
    if set(options) - allowed:
        raise ValueError(
            f"format {format!r} takes no option {', '.join(sorted(set(options) - allowed))}; "
            f"its options: {', '.join(sorted(allowed)) or 'none'}"
        )
    return _stream(reader, source if format == "dataframe" else where, Problems(strict), options)


def _stream(
    reader: Reader, source: Any, problems: Problems, options: dict[str, Any]
) -> Iterator[Concept]:
    yield from reader(source, problems, **options)
    problems.finish(source if isinstance(source, Path) else "DataFrame")
