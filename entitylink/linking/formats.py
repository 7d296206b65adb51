"""Documents in and out: plain text, JSONL, PubTator, BioC (XML or JSON, via the ``bioc`` package).

>>> docs = list(read_documents(open("in.pubtator", "rb"), "pubtator"))        # doctest: +SKIP
>>> linked = Annotator(linker).annotate([d.text for d in docs])              # doctest: +SKIP
>>> write_documents(zip(linked, docs), open("out.jsonl", "w"), "jsonl")      # doctest: +SKIP

Readers yield :class:`InputDocument` s (text, id, the spans the input already carries, and its
passages) and raise :class:`~entitylink.errors.DocumentFormatError` naming ``file:line`` on bad
input, a line longer than :data:`~entitylink.lines.DOCUMENT_LINE_BYTES` included; with
``strict=False`` an undecodable or overlong line or a bad document is skipped and counted in
:attr:`Skipped.count`. PubTator documents are ``title + " " + abstract``, as PubTator's offsets
count them.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from ..errors import DocumentFormatError
from ..lines import DOCUMENT_LINE_BYTES, bounded_lines
from .bioc_io import read_bioc, write_bioc
from .documents import Document, InputDocument, Span, StreamedDocument

INPUT_FORMATS = ("txt", "jsonl", "pubtator", "bioc.json", "bioc.xml")
OUTPUT_FORMATS = ("jsonl", "pubtator", "bioc.json")
_PUBTATOR_HEAD = re.compile(r"^([^|\t]+)\|([ta])\|(.*)$")


@dataclass
class Skipped:
    """What ``strict=False`` skipped: a count, and the first reasons (for the log)."""

    count: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, reason: str) -> None:
        self.count += 1
        if len(self.reasons) < 10:
            self.reasons.append(reason)


def detect_format(
    path: str, given: str | None = None, choices: tuple[str, ...] = INPUT_FORMATS
) -> str:
    """The format named, else the one the file name ends with; ``txt`` for ``-`` (stdin); a
    ``.txt`` file whose first line reads ``ID|t|...`` is PubTator (NCBI-disease's files)."""
    if given:
        return given
    if path.lower().endswith(".txt") and "pubtator" in choices and _looks_pubtator(path):
        return "pubtator"
    name = path.lower()
    for fmt in sorted(choices, key=len, reverse=True):
        if name.endswith("." + fmt) or (fmt == "pubtator" and name.endswith(".pubtator.txt")):
            return fmt
    if name.endswith(".xml") and "bioc.xml" in choices:
        return "bioc.xml"
    if name.endswith(".json") and "bioc.json" in choices:
        return "bioc.json"
    if name == "-" or name.endswith(".txt"):
        return "txt" if "txt" in choices else "jsonl"
    raise ValueError(
        f"{path}: cannot tell the format from the name; pass one of {', '.join(choices)}"
    )


def _looks_pubtator(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            head = stream.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff\r\n ")
    except OSError:
        return False
    return _PUBTATOR_HEAD.match(head.split("\n", 1)[0]) is not None


def _lines(
    stream: IO[bytes], name: str, strict: bool, skipped: Skipped
) -> Iterator[tuple[int, str]]:
    lines = bounded_lines(
        stream,
        name,
        limit=DOCUMENT_LINE_BYTES,
        error=DocumentFormatError,
        skip=None if strict else skipped.add,
    )
    for number, raw in lines:
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            message = f"{name}:{number}: undecodable bytes (not UTF-8): {exc.reason}"
            if strict:
                raise DocumentFormatError(message) from None
            skipped.add(message)
            continue
        text = line.rstrip("\n").removesuffix("\r")
        del raw, line  # a long document is held once while its reader waits, not three times
        yield number, text


def read_documents(
    stream: IO[bytes],
    fmt: str,
    name: str = "-",
    *,
    strict: bool = True,
    skipped: Skipped | None = None,
) -> Iterator[InputDocument]:
    """The documents of a binary stream in format ``fmt`` (see :data:`INPUT_FORMATS`)."""
    skipped = skipped if skipped is not None else Skipped()
    if fmt == "txt":
        for number, line in _lines(stream, name, strict, skipped):
            if line.strip():
                yield InputDocument(line, str(number))
    elif fmt == "jsonl":
        yield from _read_jsonl(_lines(stream, name, strict, skipped), name, strict, skipped)
    elif fmt == "pubtator":
        yield from _read_pubtator(_lines(stream, name, strict, skipped), name, strict, skipped)
    elif fmt in ("bioc.json", "bioc.xml"):
        yield from read_bioc(stream, fmt, name)
    else:
        raise ValueError(
            f"unknown input format {fmt!r}; expected one of {', '.join(INPUT_FORMATS)}"
        )


def _read_jsonl(
    lines: Iterable[tuple[int, str]], name: str, strict: bool, skipped: Skipped
) -> Iterator[InputDocument]:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(text, str):
                raise TypeError("'text' is not a string")
            spans = tuple(_json_span(s, text) for s in record.get("spans") or ())
            yield InputDocument(text, str(record.get("id", number)), spans)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            message = (
                f"{name}:{number}: expected a JSON object with a 'text' string and optional "
                f"'id' and 'spans' [{{'start', 'end', 'label'}}]: {exc}"
            )
            if strict:
                raise DocumentFormatError(message) from None
            skipped.add(message)


def _json_span(span: Any, text: str) -> tuple[int, int, str | None]:
    if isinstance(span, dict):
        start, end, label = span["start"], span["end"], span.get("label", span.get("type"))
    else:
        start, end, label = span[0], span[1], span[2] if len(span) > 2 else None
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise ValueError(f"span ({start}, {end}) outside the text of {len(text)} characters")
    return start, end, label


def _read_pubtator(
    lines: Iterable[tuple[int, str]], name: str, strict: bool, skipped: Skipped
) -> Iterator[InputDocument]:
    current: dict[str, Any] | None = None
    bad = False
    for number, line in lines:
        if not line.strip():
            continue
        head = _PUBTATOR_HEAD.match(line)
        try:
            if head and (current is None or head[1] != current["id"] or head[2] == "t"):
                if current is not None and not bad:
                    yield _pubtator_document(current)
                current, bad = {"id": head[1], "t": "", "a": "", "spans": []}, False
            if head:
                assert current is not None
                current[head[2]] = head[3]
                continue
            fields = line.split("\t")
            if current is None or fields[0] != current["id"]:
                raise DocumentFormatError(
                    f"{name}:{number}: an annotation line outside its document's block: "
                    f"{line[:80]!r}"
                )
            if len(fields) == 4 and fields[1] == "CID":
                continue
            if len(fields) < 5 or not (fields[1].isdecimal() and fields[2].isdecimal()):
                raise DocumentFormatError(
                    f"{name}:{number}: expected 'PMID|t|text', 'PMID|a|text' or "
                    f"'PMID<TAB>start<TAB>end<TAB>mention<TAB>type[<TAB>ids]', found {line[:80]!r}"
                )
            start, end = int(fields[1]), int(fields[2])
            text = _pubtator_text(current)
            if text[start:end] != fields[3] or start >= end:
                raise DocumentFormatError(
                    f"{name}:{number}: offsets {start}-{end} cover {text[start:end]!r} in document "
                    f"{current['id']}, but the line's mention is {fields[3]!r}"
                )
            current["spans"].append((start, end, fields[4]))
        except DocumentFormatError as exc:
            if strict:
                raise
            skipped.add(str(exc))
            bad = True
    if current is not None and not bad:
        yield _pubtator_document(current)


def _pubtator_text(block: dict[str, Any]) -> str:
    return f"{block['t']} {block['a']}" if block["a"] else str(block["t"])


def _pubtator_document(block: dict[str, Any]) -> InputDocument:
    title, text = block["t"], _pubtator_text(block)
    passages = [("t", 0, len(title))]
    if block["a"]:
        passages.append(("a", len(title) + 1, len(text)))
    return InputDocument(text, block["id"], tuple(block["spans"]), tuple(passages))


def write_documents(
    documents: Iterable[tuple[Document | StreamedDocument, InputDocument]],
    stream: IO[str],
    fmt: str,
) -> int:
    """Write annotated documents (with the inputs they came from); returns the spans written.
    A :class:`StreamedDocument`'s spans are written as they come (BioC takes them whole)."""
    if fmt == "bioc.json":
        whole = ((_whole(document), source) for document, source in documents)
        return write_bioc(whole, stream)
    if fmt not in ("jsonl", "pubtator"):
        raise ValueError(
            f"unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}"
        )
    written = 0
    for document, source in documents:
        if isinstance(document, Document):
            written += len(document.spans)
            if fmt == "jsonl":
                stream.write(json.dumps(asdict(document), ensure_ascii=False) + "\n")
            else:
                stream.write(pubtator_block(document, source))
        elif fmt == "jsonl":
            written += _stream_jsonl(document, stream)
        else:
            written += _stream_pubtator(document, source, stream)
    return written


def _whole(document: Document | StreamedDocument) -> Document:
    return document if isinstance(document, Document) else document.materialize()


def _stream_jsonl(document: StreamedDocument, stream: IO[str]) -> int:
    """The line ``json.dumps(asdict(document))`` would be, written span by span."""
    dumps = functools.partial(json.dumps, ensure_ascii=False)
    stream.write(f'{{"text": {dumps(document.text)}, "spans": [')
    written = 0
    for span in document.spans:
        stream.write((", " if written else "") + dumps(asdict(span)))
        written += 1
    stream.write(f'], "id": {dumps(document.id)}, "abbreviations": ')
    stream.write(dumps(document.abbreviations) + "}\n")
    return written


def _stream_pubtator(document: StreamedDocument, source: InputDocument, stream: IO[str]) -> int:
    doc_id = document.id or source.id or "0"
    stream.write(_pubtator_head(document.text, doc_id, source))
    written = 0
    for span in document.spans:
        stream.write(_pubtator_span(doc_id, span) + "\n")
        written += 1
    stream.write("\n")
    return written


def _flat(text: str) -> str:
    """One line of the same length: each line break or tab becomes a space (offsets hold)."""
    return re.sub(r"[\r\n\t]", " ", text)


def pubtator_block(document: Document, source: InputDocument) -> str:
    """A PubTator block: ``ID|t|title``, ``ID|a|abstract``, one line per span (best ID)."""
    doc_id = document.id or source.id or "0"
    lines = [_pubtator_span(doc_id, span) + "\n" for span in document.spans]
    return _pubtator_head(document.text, doc_id, source) + "".join(lines) + "\n"


def _pubtator_head(text: str, doc_id: str, source: InputDocument) -> str:
    kinds = dict((kind, (start, end)) for kind, start, end in source.passages)
    if "t" in kinds and "a" in kinds and kinds["a"][0] == kinds["t"][1] + 1:
        title, abstract = text[: kinds["t"][1]], text[kinds["a"][0] :]
    else:
        title, abstract = text, ""
    return f"{doc_id}|t|{_flat(title)}\n{doc_id}|a|{_flat(abstract)}\n"


def _pubtator_span(doc_id: str, span: Span) -> str:
    concept = span.concept_id or "-1"
    label = span.label or "Entity"
    return f"{doc_id}\t{span.start}\t{span.end}\t{_flat(span.text)}\t{label}\t{concept}"
