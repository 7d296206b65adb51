"""The API's routes: ``/link``, ``/annotate``, ``/concepts``, ``/indexes``, ``/health``,
``/metrics``, ``/admin/reload`` (loopback only), ``/``.

Each handler checks the request against the limits, takes the index's linker from the state
and answers JSON built by hand (``schemas`` documents it). ``/link`` requests are coalesced into
batches; ``/annotate`` runs in the same model thread between batches (``run_alone``).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ..errors import ForbiddenError, RequestLimitError, UnknownResourceError
from ..linking.annotate import Annotator
from ..linking.documents import Document
from ..linking.thresholds import nil_threshold
from .config import Limits
from .schemas import (
    AnnotateRequest,
    AnnotateResponse,
    ConceptOut,
    ErrorResponse,
    HealthResponse,
    IndexesResponse,
    LinkRequest,
    LinkResponse,
    candidate_json,
    document_json,
    public_manifest,
)
from .state import READY, ServiceState

router = APIRouter()
LOOPBACK = ("127.0.0.1", "::1", "localhost")
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": why}
    for code, why in (
        (403, "an admin route asked from another host than loopback"),
        (404, "unknown index or concept"),
        (408, "the body was not sent within body_timeout_s"),
        (413, "body or mention count beyond a limit"),
        (422, "malformed JSON, a wrong type, or a text beyond a limit"),
        (500, "an unexpected failure (logged)"),
        (503, "queue full, timed out or still loading (see Retry-After)"),
    )
}


def state_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def check_texts(texts: list[str], limits: Limits, *, field: str, max_chars: int) -> None:
    """Refuse more than ``max_mentions`` texts (413) or a text over ``max_chars`` (422)."""
    if len(texts) > limits.max_mentions:
        raise RequestLimitError(
            f"{field}: {len(texts)} items, more than max_mentions={limits.max_mentions}",
            limit="max_mentions",
            status=413,
        )
    for i, text in enumerate(texts):
        if len(text) > max_chars:
            limit = "max_chars" if max_chars == limits.max_chars else "max_text_chars"
            raise RequestLimitError(
                f"{field}[{i}]: {len(text)} characters, more than {limit}={max_chars}",
                limit=limit,
            )


def check_k(k: int, limits: Limits) -> None:
    if k > limits.max_k:
        raise RequestLimitError(f"k: {k}, more than max_k={limits.max_k}", limit="max_k")


@router.post("/link", response_model=LinkResponse, responses=ERRORS, tags=["linking"])
async def link(body: LinkRequest, request: Request) -> Response:
    """Link mentions: the ``k`` best concepts of each, best first (an empty list: NIL)."""
    state = state_of(request)
    limits = state.config.limits
    check_texts(body.mentions, limits, field="mentions", max_chars=limits.max_chars)
    check_k(body.k, limits)
    linker = state.linker(body.index)
    found = await state.batcher.link(
        linker, body.mentions, k=body.k, threshold=body.threshold, types=body.types
    )
    results = [[candidate_json(c) for c in candidates] for candidates in found]
    return JSONResponse({"index": body.index, "results": results})


@router.post("/annotate", response_model=AnnotateResponse, responses=ERRORS, tags=["linking"])
async def annotate(body: AnnotateRequest, request: Request) -> Response:
    """Find the mentions of texts (the index's names, plurals and variants; abbreviations through
    their long forms) and link them: one document of spans with candidates per text."""
    state = state_of(request)
    limits = state.config.limits
    texts = body.all_texts
    field = "text" if body.text is not None else "texts"
    check_texts(texts, limits, field=field, max_chars=limits.max_text_chars)
    check_k(body.k, limits)
    linker = state.linker(body.index)
    threshold = nil_threshold(body.threshold, "dictionary")  # state.detector: the dictionary

    def run() -> list[Document]:
        detector = state.detector(body.index)
        annotator = Annotator(linker, detector, k=body.k, threshold=threshold, types=body.types)
        return annotator.annotate(texts)

    documents = await state.batcher.run_alone(run)
    return JSONResponse({"index": body.index, "documents": [document_json(d) for d in documents]})


@router.get(
    "/concepts/{index}/{concept_id:path}",
    response_model=ConceptOut,
    responses=ERRORS,
    tags=["concepts"],
)
async def concept(index: str, concept_id: str, request: Request) -> Response:
    """A concept with its names, types, definition and other IDs (any usual ID variant)."""
    linker = state_of(request).linker(index)
    found = await asyncio.to_thread(linker.index.store.get, concept_id)
    if found is None:
        raise UnknownResourceError(f"index {index!r} has no concept {concept_id!r}")
    return JSONResponse(asdict(found))


@router.get("/indexes", response_model=IndexesResponse, tags=["service"])
async def indexes(request: Request) -> Response:
    """The served indexes, each with the public part of its manifest (encoder, spec, counts,
    vocabulary format and file names, creation time); the directory and the whole manifest
    only when the service was started with ``--show-paths``."""
    state = state_of(request)
    listed = []
    for name, path in state.config.indexes:
        linker = state.linkers.get(name)
        generation = linker.index.manifest.generation if linker is not None else None
        if not state.config.show_paths:
            manifest = public_manifest(linker.index.manifest) if linker is not None else None
            listed.append({"name": name, "generation": generation, "manifest": manifest})
            continue
        manifest = asdict(linker.index.manifest) if linker is not None else None
        listed.append(
            {"name": name, "path": str(path), "generation": generation, "manifest": manifest}
        )
    return JSONResponse({"indexes": listed})


@router.post("/admin/reload", tags=["service"], responses=ERRORS)
async def reload(request: Request, index: str | None = None) -> Response:
    """Load the current generation of every served index (or of ``?index=NAME``) and swap it
    in; requests in flight finish on the old one. Loopback clients only (403 otherwise); an
    index that fails to load stays served as it was (its ``error`` says why)."""
    host = request.client.host if request.client is not None else ""
    if host not in LOOPBACK:
        raise ForbiddenError(f"/admin/reload answers loopback clients only, not {host or '?'}")
    state = state_of(request)
    names = [index] if index is not None else [name for name, _ in state.config.indexes]
    for name in names:
        state.linker(name)  # 404 for an unknown index, 503 while loading
    results = [await state.reload(name) for name in names]
    return JSONResponse({"reloads": results})


@router.get(
    "/health",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "loading or failed"}},
    tags=["service"],
)
async def health(request: Request) -> Response:
    """``ok`` once every index is loaded (ready for traffic); 503 while loading or failed."""
    state = state_of(request)
    body = {"status": state.status, "indexes": sorted(state.linkers), "error": state.error}
    return JSONResponse(body, status_code=200 if state.status == READY else 503)


@router.get("/metrics", tags=["service"], response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, batch sizes, queue depth."""
    return Response(state_of(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/", include_in_schema=False)
async def page() -> HTMLResponse:
    """The web page (``static/index.html``; its script is ``/static/app.js``)."""
    html = resources.files(__package__).joinpath("static/index.html").read_text("utf-8")
    return HTMLResponse(html)
