"""``entitylink serve``: the HTTP service over one or more indexes (FastAPI + uvicorn).

FastAPI and uvicorn are imported inside :func:`run_serve` only: ``entitylink --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import math
from typing import Any

from ..errors import MissingDependencyError
from .options import add_load_options, load_options, positive_int

logger = logging.getLogger("entitylink")

EPILOG_SERVE = """examples:
  entitylink serve --index indexes/sample
  curl -s localhost:8000/link -H 'content-type: application/json' \\
       -d '{"index": "sample", "mentions": ["heart attack"]}'
  entitylink serve --index indexes/medic --index mesh=indexes/mesh-2024 --port 8080 --workers 2
  entitylink serve --index indexes/medic --max-batch 128 --max-wait-ms 5 --max-queue 4096

The web page is at http://HOST:PORT/, the OpenAPI page at /docs, metrics at /metrics.
"""


def positive_float(text: str) -> float:
    """A finite number above 0 (seconds, milliseconds); otherwise a usage error."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
    return value


def add_serve_command(
    commands: Any, formatter: type[argparse.HelpFormatter], common: argparse.ArgumentParser
) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve indexes over HTTP (JSON API, web page, metrics)",
        description="Serve one or more indexes over HTTP: POST /link, GET /concepts/INDEX/ID, "
        "GET /indexes, GET /health, GET /metrics, a web page at / and the API's documentation "
        "at /docs. Concurrent requests are batched into one model call. Needs: pip install "
        "'entitylink[serve]'.",
        epilog=EPILOG_SERVE,
        formatter_class=formatter,
        parents=[common],
    )
    serve.add_argument(
        "--index",
        action="append",
        required=True,
        metavar="[NAME=]DIR",
        help="an index directory, served under NAME (default: the directory's name); repeatable",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="processes (default: 1); they share the memory-mapped indexes' pages",
    )
    add_load_options(serve)  # --threads: by default each worker takes cores // workers
    batching = serve.add_argument_group("batching")
    batching.add_argument(
        "--max-batch", type=positive_int, default=64, help="mentions per model call (default: 64)"
    )
    batching.add_argument(
        "--max-wait-ms",
        type=positive_float,
        default=2.0,
        help="wait at most this for a batch to fill while the model is idle (default: 2)",
    )
    batching.add_argument(
        "--max-queue",
        type=positive_int,
        default=2048,
        help="mentions waiting at most; beyond, 503 with Retry-After (default: 2048)",
    )
    batching.add_argument(
        "--timeout",
        type=positive_float,
        default=10.0,
        help="seconds a request may wait for its batch; then 503 (default: 10)",
    )
    limits = serve.add_argument_group("limits (beyond: 413 or 422 naming the limit)")
    limits.add_argument("--max-mentions", type=positive_int, default=256, help="per request")
    limits.add_argument("--max-chars", type=positive_int, default=1000, help="per mention")
    limits.add_argument("--max-text-chars", type=positive_int, default=20_000, help="per text")
    limits.add_argument("--max-body-bytes", type=positive_int, default=1_000_000, help="per body")
    limits.add_argument("--max-k", type=positive_int, default=100, help="candidates per mention")
    limits.add_argument(
        "--header-timeout",
        type=positive_float,
        default=10.0,
        help="seconds a client has to send a request's headers; then closed (default: 10)",
    )
    limits.add_argument(
        "--body-timeout",
        type=positive_float,
        default=10.0,
        help="seconds a client has to send a request's body; then 408 (default: 10)",
    )
    serve.add_argument(
        "--reload-poll",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="look at each index's manifest this often and swap in a new generation "
        "(entitylink update, compact) without dropping requests; 0: only on POST /admin/reload "
        "from loopback (default: 5)",
    )
    serve.add_argument(
        "--show-paths",
        action="store_true",
        help="GET /indexes shows each index's directory and whole manifest (checksums, files); "
        "by default only its name and public manifest fields",
    )


def run_serve(args: argparse.Namespace) -> None:
    from ..index.manifest import IndexManifest
    from ..service.config import Batching, Limits, ServiceConfig, parse_index

    try:
        from ..service.server import bind, serve
    except ImportError as exc:
        raise MissingDependencyError(
            f"entitylink serve needs FastAPI and uvicorn ({exc}): pip install 'entitylink[serve]'"
        ) from exc
    config = ServiceConfig(
        indexes=tuple(parse_index(text) for text in args.index),
        limits=Limits(
            max_mentions=args.max_mentions,
            max_chars=args.max_chars,
            max_text_chars=args.max_text_chars,
            max_body_bytes=args.max_body_bytes,
            max_k=args.max_k,
            header_timeout_s=args.header_timeout,
            body_timeout_s=args.body_timeout,
        ),
        batching=Batching(
            max_batch=args.max_batch,
            max_wait_ms=args.max_wait_ms,
            max_queue=args.max_queue,
            timeout_s=args.timeout,
        ),
        load=load_options(args),
        show_paths=args.show_paths,
        reload_poll_s=args.reload_poll,
    )
    sock = bind(args.host, args.port)  # a port in use fails first, before any index is read
    try:
        for _, path in config.indexes:  # a missing or broken index fails now, not later
            IndexManifest.read(path)
    except BaseException:
        sock.close()
        raise
    serve(config, host=args.host, port=args.port, workers=args.workers, sock=sock)
