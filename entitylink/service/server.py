"""Run the app with uvicorn: one process, or ``workers`` processes sharing the mapped indexes.

SIGTERM or Ctrl-C stops accepting connections, lets the requests in flight finish (up to
``grace_s`` seconds), answers what is queued, then exits.

The address is bound first (:func:`bind`): a port in use is one :class:`ServiceStartError`
before anything loads. A client gets ``limits.header_timeout_s`` seconds to send a request's
headers (:class:`HeaderDeadline`; its body has ``limits.body_timeout_s``, in the app), and an
idle keep-alive connection is closed after 5 s.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..encoding.threads import claim_share
from ..errors import ServiceStartError
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
    sock: socket.socket | None = None,
) -> None:
    """Serve until SIGTERM or Ctrl-C. With ``workers > 1`` each process loads the indexes itself,
    memory-mapped when ``config.mmap``, so they share the FAISS files' pages; each encodes on
    its share of the cores (:func:`~entitylink.encoding.threads.claim_share`). ``sock``: the
    address bound already (:func:`bind`); by default it is bound here."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    sock = sock or bind(host, port)
    options = uvicorn_options(config, host=host, port=port, grace_s=grace_s)
    threads = claim_share(workers)  # inherited by the worker processes: no oversubscription
    logger.info("each of %d process(es) encodes on up to %d thread(s)", workers, threads)
    logger.info("serving %s on http://%s:%d/", ", ".join(n for n, _ in config.indexes), host, port)
    if workers == 1:
        uvicorn.Server(uvicorn.Config(create_app(config), **options)).run(sockets=[sock])
        return
    sock.close()  # uvicorn binds it again for its workers, at once
    os.environ[CONFIG_ENV] = config.to_json()
    uvicorn.run("entitylink.service.app:app_from_env", factory=True, workers=workers, **options)


def uvicorn_options(
    config: ServiceConfig, *, host: str, port: int, grace_s: float = 30.0
) -> dict[str, Any]:
    """The settings of uvicorn's server: the address, the header deadline, shutdown's grace."""
    return {
        "host": host,
        "port": port,
        "access_log": False,  # the app logs one line per request itself
        "timeout_graceful_shutdown": grace_s,
        "timeout_keep_alive": 5,
        "http": functools.partial(HeaderDeadline, header_timeout_s=config.limits.header_timeout_s),
        "log_level": "info",
    }


def bind(host: str, port: int) -> socket.socket:
    """The listening address, bound as uvicorn binds it; an address in use (or not this
    machine's, or a privileged port) is a :class:`ServiceStartError`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it each response (head and body written apart) waited ~40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = exc.strerror or str(exc)
        raise ServiceStartError(
            f"cannot listen on {host}:{port}: {why}; choose another --port or --host"
        ) from exc
    sock.set_inheritable(True)
    return sock


class HeaderDeadline(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's headers: a connection that
    has not sent a whole request head ``header_timeout_s`` seconds after it opened, or after
    its previous response, is closed (a slow-headers client holds no connection for long)."""

    def __init__(self, *args: Any, header_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = header_timeout_s
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.header_timeout_s, self._expired)

    def _expired(self) -> None:
        self._deadline = None
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing():
            logger.info(
                "closing a connection that sent no whole request in %gs", self.header_timeout_s
            )
            self.transport.close()
