"""Run the app with uvicorn: one process, or ``workers`` processes sharing the mapped indexes.

SIGTERM or Ctrl-C stops accepting connections, lets the requests in flight finish (up to
``grace_s`` seconds), answers what is queued, then exits.
"""

from __future__ import annotations

import logging
import os

import uvicorn

from ..encoding.threads import claim_share
from .app import create_app
from .config import CONFIG_ENV, ServiceConfig

logger = logging.getLogger(__name__)


def serve(
    config: ServiceConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    grace_s: float = 30.0,
) -> None:
    """Serve until SIGTERM or Ctrl-C. With ``workers > 1`` each process loads the indexes itself,
    memory-mapped when ``config.mmap``, so they share the FAISS files' pages; each encodes on
    its share of the cores (:func:`~entitylink.encoding.threads.claim_share`)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    options = {
        "host": host,
        "port": port,
        "access_log": False,  # the app logs one line per request itself
        "timeout_graceful_shutdown": grace_s,
        "log_level": "info",
    }
    threads = claim_share(workers)  # inherited by the worker processes: no oversubscription
    logger.info("each of %d process(es) encodes on up to %d thread(s)", workers, threads)
    logger.info("serving %s on http://%s:%d/", ", ".join(n for n, _ in config.indexes), host, port)
    if workers == 1:
        uvicorn.run(create_app(config), **options)  # type: ignore[arg-type]
        return
    os.environ[CONFIG_ENV] = config.to_json()
    uvicorn.run(
        "entitylink.service.app:app_from_env",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )
