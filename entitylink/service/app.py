"""The ASGI app: routes, error handlers, the request middleware and the lifespan.

>>> app = create_app(ServiceConfig(indexes=(("sample", Path("indexes/sample")),)))  # doctest: +SKIP

Start-up starts the batcher and loads the indexes in the background (``/health`` says when
they are in); shut-down answers what is queued, then stops the model thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._version import __version__
from ..errors import InputError, RequestLimitError, ServiceError, ServiceOverloadedError
from ..linking.linker import Linker
from .config import CONFIG_ENV, ServiceConfig
from .metrics import Metrics
from .routes import router
from .state import ServiceState

logger = logging.getLogger("entitylink.service")
STATIC = Path(__file__).parent / "static"


def create_app(config: ServiceConfig, *, linkers: Mapping[str, Linker] | None = None) -> FastAPI:
    """The app serving ``config.indexes`` (``linkers``: already loaded, by name, for tests)."""
    state = ServiceState(config, linkers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = state.start()
        yield
        if loading is not None and not loading.done():
            await loading  # a thread cannot be cancelled; let it finish
        await state.stop()

    app = FastAPI(
        title="entitylink",
        version=__version__,
        summary="Link biomedical mentions to vocabulary concepts.",
        lifespan=lifespan,
    )
    app.state.service = state
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)  # Starlette's 404, 405, bad bytes 400
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(Exception, _internal_error)  # 500, logged with its traceback
    app.add_middleware(
        RequestMiddleware,
        metrics=state.metrics,
        max_body=config.limits.max_body_bytes,
        body_timeout_s=config.limits.body_timeout_s,
    )
    return app


def app_from_env() -> FastAPI:
    """The app of the config in ``$ENTITYLINK_SERVICE_CONFIG`` (each ``--workers`` process,
    which logs to stderr as the command does: it starts fresh, without the CLI's set-up)."""
    package = logging.getLogger("entitylink")
    if not package.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s[%(process)d]: %(message)s"))
        package.addHandler(handler)
        package.setLevel(logging.INFO)
    return create_app(ServiceConfig.from_json(os.environ[CONFIG_ENV]))


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = {}
    if isinstance(exc, ServiceOverloadedError):
        headers["Retry-After"] = str(exc.retry_after)
    body = {"error": str(exc), "limit": exc.limit, "field": None}
    return JSONResponse(body, status_code=exc.status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 naming the first field at fault (``mentions[2]: Input should be a valid string``)."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first: dict[str, Any] = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        context: dict[str, Any] = first.get("ctx") or {}
        field, message = "body", f"malformed JSON: {context.get('error', '')}"
    else:
        field = _field_name(first.get("loc", ()))
        message = f"{field}: {first['msg']}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return JSONResponse({"error": message + more, "limit": None, "field": field}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's and FastAPI's own refusals in the API's shape: 404 (no such route), 405 (a
    method the route lacks, with ``Allow``), and a body that is not UTF-8 JSON (422, as any
    malformed JSON)."""
    assert isinstance(exc, HTTPException)
    status, message, field = exc.status_code, str(exc.detail), None
    if status == 400 and "parsing the body" in message:
        status, message, field = 422, "malformed JSON: the body is not UTF-8 JSON", "body"
    elif status == 404 and message == "Not Found":
        message = f"no route {request.url.path}; the API is listed at /docs"
    elif status == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    body = {"error": message, "limit": None, "field": field}
    return JSONResponse(body, status_code=status, headers=dict(exc.headers or {}))


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    """A library InputError that got past the request models: 422 (its message names it)."""
    return JSONResponse({"error": str(exc), "limit": None, "field": None}, status_code=422)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything else: 500 in the same shape, no traceback to the client (the log has it)."""
    body = {"error": f"internal error ({type(exc).__name__})", "limit": None, "field": None}
    return JSONResponse(body, status_code=500)


def _field_name(loc: Any) -> str:
    """``("body", "mentions", 2)`` -> ``mentions[2]``."""
    parts = [p for p in loc if p != "body"] or ["body"]
    name = str(parts[0])
    for part in parts[1:]:
        name += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name


class RequestMiddleware:
    """Per request: refuse a body over ``max_body`` bytes (413) or not whole within
    ``body_timeout_s`` seconds (408, and the connection is closed), count and time it (metrics
    by route template), and log one line: method, path, status, milliseconds."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, max_body: int, body_timeout_s: float = 10.0
    ) -> None:
        self.app, self.metrics, self.max_body = app, metrics, max_body
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            try:
                body = await asyncio.wait_for(self._read_body(scope, receive), self.body_timeout_s)
            except TimeoutError:
                await _too_slow(self.body_timeout_s, sending)
                return
            if body is None:
                await _too_large(self.max_body, sending)
            else:
                await self.app(scope, _replay(body, receive), sending)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or _route_of(scope["path"])
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(seconds)
            logger.info("%s %s %d %.1f ms", scope["method"], scope["path"], status, seconds * 1000)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None when it is over ``max_body`` bytes (read no further)."""
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return None
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read already, then waits for a disconnect as usual."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_large(limit: int, send: Send) -> None:
    exc = RequestLimitError(
        f"request body over max_body_bytes={limit}", limit="max_body_bytes", status=413
    )
    response = JSONResponse({"error": str(exc), "limit": exc.limit, "field": None}, 413)
    await response({"type": "http"}, _nothing, send)


async def _too_slow(seconds: float, send: Send) -> None:
    """408: the body did not come in time; ``Connection: close`` makes uvicorn drop the
    connection (what is left of the body is never read)."""
    body = {
        "error": f"request body not received within body_timeout_s={seconds:g}",
        "limit": "body_timeout_s",
        "field": None,
    }
    response = JSONResponse(body, 408, headers={"Connection": "close"})
    await response({"type": "http"}, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def _route_of(path: str) -> str:
    """A bounded label for paths no route matched (404s, static files)."""
    return "/static" if path.startswith("/static/") else "unmatched"
