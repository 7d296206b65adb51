"""Prometheus metrics of the service (``GET /metrics``, text format), one registry per app.

Requests and their latency by route template (never by raw path, so the label set stays
bounded), batch sizes, the time a batch takes in the model, the queue depth, the requests
refused by the batcher (queue full, timed out) and the reloads of new index generations.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    """The service's metrics in their own registry (several apps in one process never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "entitylink_requests",
            "HTTP requests answered, by method, route and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "entitylink_request_seconds",
            "Time from request to response, by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_mentions = Histogram(
            "entitylink_batch_mentions",
            "Mentions per Linker.link call (batch size)",
            buckets=SIZE_BUCKETS,
            registry=r,
        )
        self.batch_requests = Histogram(
            "entitylink_batch_requests",
            "Requests coalesced per batch",
            buckets=SIZE_BUCKETS,
            registry=r,
        )
        self.batch_seconds = Histogram(
            "entitylink_batch_seconds",
            "Time a batch spends in the model thread",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "entitylink_queue_mentions", "Mentions waiting for a batch", registry=r
        )
        self.rejected = Counter(
            "entitylink_rejected",
            "Requests refused by the batcher, by reason (queue_full, timeout)",
            ["reason"],
            registry=r,
        )
        self.reloads = Counter(
            "entitylink_reloads",
            "New index generations loaded (ok) or refused, the old one kept (failed)",
            ["index", "result"],
            registry=r,
        )

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
