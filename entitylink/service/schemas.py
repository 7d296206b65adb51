"""The JSON bodies of the API, as pydantic models (they also make the OpenAPI page, ``/docs``).

Requests are strict: a wrong type (``"k": "5"``, a number among the mentions) or an unknown
field is a 422 naming the field, never silently coerced.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..records import Candidate


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class LinkRequest(_Request):
    """Mentions to link with one index (the same arguments as ``Linker.link``)."""

    index: str = Field(description="name of a served index (GET /indexes)", examples=["sample"])
    mentions: list[str] = Field(description="the mentions, one string each")
    k: int = Field(5, ge=1, description="concepts per mention, best first")
    threshold: float | None = Field(None, description="drop candidates scoring below it (NIL)")
    types: list[str] | None = Field(None, description="keep concepts of these semantic types")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"index": "sample", "mentions": ["heart attack"], "k": 3}]}
    )


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
    """A served index: its name, directory and manifest."""

    name: str
    path: str
    manifest: dict[str, Any]


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
