"""The linking service: an HTTP API over loaded indexes, with request batching and metrics.

Loaded indexes (``Linker``) in, JSON over HTTP out: ``POST /link``, ``GET /concepts/...``,
``GET /indexes``, ``GET /health``, ``GET /metrics``, the OpenAPI page ``/docs`` and a web page
at ``/``. Run it with ``entitylink serve --index DIR`` (needs ``pip install 'entitylink[serve]'``)::

    from entitylink.service import ServiceConfig, create_app
    app = create_app(ServiceConfig(indexes=(("sample", Path("indexes/sample")),)))

Modules: :mod:`.config` (settings and limits), :mod:`.batching` (the request coalescer),
:mod:`.state`, :mod:`.routes`, :mod:`.schemas`, :mod:`.metrics`, :mod:`.app` (the factory and
middleware), :mod:`.server` (uvicorn). FastAPI, Starlette, uvicorn and prometheus-client are
imported here only.
"""

from __future__ import annotations

from .config import Batching, Limits, ServiceConfig, parse_index

__all__ = ["Batching", "Limits", "ServiceConfig", "create_app", "parse_index"]


def __getattr__(name: str) -> object:
    if name == "create_app":  # FastAPI loads only when the app is wanted
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
