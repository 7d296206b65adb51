"""The JSON bodies of the API, as pydantic models (they also make the OpenAPI page, ``/docs``).

Requests are strict: a wrong type (``"k": "5"``, a number among the mentions) or an unknown
field is a 422 naming the field, never silently coerced.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..index.manifest import IndexManifest
from ..linking.documents import Document
from ..records import Candidate


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class LinkRequest(_Request):
    """Mentions to link with one index (the same arguments as ``Linker.link``)."""

    index: str = Field(description="name of a served index (GET /indexes)", examples=["sample"])
    mentions: list[str] = Field(description="the mentions, one string each")
    k: int = Field(5, ge=1, description="concepts per mention, best first")
    threshold: float | None = Field(
        None, allow_inf_nan=False, description="drop candidates scoring below it (NIL)"
    )
    types: list[str] | None = Field(None, description="keep concepts of these semantic types")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"index": "sample", "mentions": ["heart attack"], "k": 3}]}
    )


class AnnotateRequest(_Request):
    """Texts to annotate with one index: ``text`` (one) or ``texts`` (several), not both. The
    index's own names are the mentions (the dictionary detector); a span whose best score is below
    ``threshold`` is dropped (default: the dev-chosen one of ``entitylink annotate``)."""

    index: str = Field(description="name of a served index (GET /indexes)", examples=["sample"])
    text: str | None = Field(None, description="one text")
    texts: list[str] | None = Field(None, description="several texts")
    k: int = Field(5, ge=1, description="concepts per span, best first")
    threshold: float | None = Field(
        None, allow_inf_nan=False, description="NIL below it (default 0.81)"
    )
    types: list[str] | None = Field(None, description="keep concepts of these semantic types")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"index": "sample", "text": "A heart attack (MI) at 40.", "k": 3}]
        }
    )

    @model_validator(mode="after")
    def _one_of_text_and_texts(self) -> AnnotateRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of text and texts")
        return self

    @property
    def all_texts(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or ())


class CandidateOut(BaseModel):
    """A candidate concept, as ``entitylink.Candidate``."""

    concept_id: str
    name: str
    matched_name: str
    score: float
    types: list[str]


class LinkResponse(BaseModel):
    """One list of candidates per mention, in the order of the request (empty: NIL)."""

    index: str
    results: list[list[CandidateOut]]


class SpanOut(BaseModel):
    """A linked span, as ``entitylink.Span``: offsets into the text (code points), the covered
    text, the text that was linked (a short form's long form), the candidates."""

    start: int
    end: int
    text: str
    linked_text: str
    candidates: list[CandidateOut]
    label: str | None
    source: str


class DocumentOut(BaseModel):
    """One annotated text, as ``entitylink.Document``."""

    text: str
    spans: list[SpanOut]
    abbreviations: list[list[str]]


class AnnotateResponse(BaseModel):
    """One document per text, in the order of the request."""

    index: str
    documents: list[DocumentOut]


class ConceptOut(BaseModel):
    """A concept of an index, with all its names, as ``entitylink.Concept``."""

    concept_id: str
    name: str
    aliases: list[str]
    types: list[str]
    definition: str | None
    source: str | None
    alt_ids: list[str]


class IndexOut(BaseModel):
    """A served index: its name and the public part of its manifest (``--show-paths``: its
    directory too, and the whole manifest)."""

    name: str
    path: str | None = None
    generation: int | None = None  # of the index directory now served (entitylink update)
    manifest: dict[str, Any] | None


class IndexesResponse(BaseModel):
    indexes: list[IndexOut]


class HealthResponse(BaseModel):
    """``ok`` (200) once every index is loaded; ``loading`` or ``failed`` (503) before."""

    status: str
    indexes: list[str]
    error: str | None = None


class ErrorResponse(BaseModel):
    """Every error: a message, and the limit or the request field it concerns when there is one."""

    error: str
    limit: str | None = None
    field: str | None = None


PUBLIC_MANIFEST = ("format_version", "encoder", "index", "counts", "created_at", "generation")


def public_manifest(manifest: IndexManifest) -> dict[str, Any]:
    """What any client may see of a manifest: no directory, checksum, file list or library
    versions; a local model and the vocabulary files by their names only."""
    public = {key: getattr(manifest, key) for key in PUBLIC_MANIFEST}
    encoder = dict(manifest.encoder)
    for key in ("model", "model_name"):
        if isinstance(encoder.get(key), str) and Path(encoder[key]).is_absolute():
            encoder[key] = Path(encoder[key]).name
    vocabulary = manifest.vocabulary
    paths = vocabulary.get("paths") or ([vocabulary["path"]] if "path" in vocabulary else [])
    public["encoder"] = encoder
    public["vocabulary"] = {
        "format": vocabulary.get("format"),
        "files": [PurePath(str(p)).name for p in paths],
    }
    public["versions"] = {"entitylink": manifest.versions.get("entitylink")}
    return public


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    """A candidate as the JSON object of :class:`CandidateOut` (built by hand: this is the hot
    path, and a pydantic round trip per candidate costs more than the lookup)."""
    return {
        "concept_id": candidate.concept_id,
        "name": candidate.name,
        "matched_name": candidate.matched_name,
        "score": candidate.score,
        "types": list(candidate.types),
    }


def document_json(document: Document) -> dict[str, Any]:
    """A document as the JSON object of :class:`DocumentOut`."""
    spans = [
        {
            "start": span.start,
            "end": span.end,
            "text": span.text,
            "linked_text": span.linked_text,
            "candidates": [candidate_json(c) for c in span.candidates],
            "label": span.label,
            "source": span.source,
        }
        for span in document.spans
    ]
    abbreviations = [list(pair) for pair in document.abbreviations]
    return {"text": document.text, "spans": spans, "abbreviations": abbreviations}
