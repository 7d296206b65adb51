"""BioC collections in and out (XML or JSON), through the ``bioc`` package (extra ``[bioc]``).

A document's text is rebuilt from its passages at their offsets (gaps are spaces), so BioC
offsets are offsets into :attr:`InputDocument.text`; see :mod:`entitylink.linking.formats`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from ..errors import DocumentFormatError, MissingDependencyError
from .documents import Document, InputDocument


def _bioc() -> Any:
    try:
        import bioc
        import bioc.biocjson
        import bioc.biocxml
    except ImportError:
        raise MissingDependencyError(
            "BioC needs the bioc package: pip install 'entitylink[bioc]'"
        ) from None
    return bioc


def read_bioc(stream: IO[bytes], fmt: str, name: str) -> Iterator[InputDocument]:
    bioc = _bioc()
    try:
        data = stream.read().decode("utf-8-sig")
        module = bioc.biocjson if fmt == "bioc.json" else bioc.biocxml
        collection = module.loads(data)
    except UnicodeDecodeError as exc:
        raise DocumentFormatError(f"{name}: undecodable bytes (not UTF-8): {exc.reason}") from None
    except Exception as exc:  # the bioc package raises what its parsers raise
        raise DocumentFormatError(
            f"{name}: not a BioC {fmt[5:].upper()} collection: {exc}"
        ) from None
    for document in collection.documents:
        pieces: list[str] = []
        passages, spans = [], []
        for passage in document.passages:
            offset = int(passage.offset)
            if offset < sum(map(len, pieces)):
                raise DocumentFormatError(f"{name}: document {document.id}: passages overlap")
            pieces.append(" " * (offset - sum(map(len, pieces))))
            pieces.append(passage.text or "")
            kind = passage.infons.get("type", "passage")
            kind = {"title": "t", "abstract": "a"}.get(kind, kind)
            passages.append((kind, offset, offset + len(passage.text or "")))
            for annotation in passage.annotations:
                for location in annotation.locations:
                    start, end = int(location.offset), int(location.offset) + int(location.length)
                    spans.append((start, end, annotation.infons.get("type")))
        text = "".join(pieces)
        for start, end, _ in spans:
            if not 0 <= start < end <= len(text):
                raise DocumentFormatError(
                    f"{name}: document {document.id}: annotation at {start}-{end} is outside "
                    "its text"
                )
        yield InputDocument(text, document.id, tuple(spans), tuple(passages))


def write_bioc(documents: Iterable[tuple[Document, InputDocument]], stream: IO[str]) -> int:
    bioc = _bioc()
    collection = bioc.BioCCollection()
    collection.source, collection.key = "entitylink", "entitylink.key"
    written = 0
    for document, source in documents:
        out = bioc.BioCDocument()
        out.id = document.id or source.id or str(len(collection.documents))
        passages = source.passages or (("text", 0, len(document.text)),)
        for kind, start, end in passages:
            passage = bioc.BioCPassage()
            passage.offset, passage.text = start, document.text[start:end]
            passage.infons["type"] = {"t": "title", "a": "abstract"}.get(kind, kind)
            for number, span in enumerate(document.spans):
                if start <= span.start < end or (start == end == span.start):
                    passage.annotations.append(_bioc_annotation(bioc, span, f"T{number}"))
                    written += 1
            out.passages.append(passage)
        collection.documents.append(out)
    bioc.biocjson.dump(collection, stream, indent=1)
    return written


def _bioc_annotation(bioc: Any, span: Any, identifier: str) -> Any:
    annotation = bioc.BioCAnnotation()
    annotation.id, annotation.text = identifier, span.text
    annotation.add_location(bioc.BioCLocation(span.start, span.end - span.start))
    if span.label:
        annotation.infons["type"] = span.label
    if span.candidates:
        best = span.candidates[0]
        annotation.infons["identifier"] = best.concept_id
        annotation.infons["score"] = f"{best.score:.4f}"
        annotation.infons["name"] = best.name
    return annotation
