"""Prometheus metrics of the service (``GET /metrics``, text format), one registry per app.

Requests and their latency by route template (never by raw path, so the label set stays
bounded), batch sizes, the time a batch takes in the model, the queue depth, the requests
refused by the batcher (queue full, timed out), the reloads of new index generations, and where
each index's query vectors came from (its stored names, the query cache, the encoder:
:mod:`entitylink.linking.queries`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from ..linking.queries import QueryCounts

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

    def watch_queries(self, counts: Callable[[], Mapping[str, QueryCounts]]) -> None:
        """Report ``counts()`` (by index name), read at each scrape."""
        self.registry.register(_QueryVectors(counts))

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


class _QueryVectors(Collector):
    """``entitylink_query_vectors_total{index, source}``: query vectors by where they came from
    (``index``: a name's stored vector, ``cache``: encoded before, ``encoder``)."""

    def __init__(self, counts: Callable[[], Mapping[str, QueryCounts]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "entitylink_query_vectors",
            "Query vectors by index and source (index: a name's stored vector; cache: encoded "
            "by an earlier request; encoder: encoded now)",
            labels=["index", "source"],
        )
        for name, counts in sorted(self.counts().items()):
            family.add_metric([name, "index"], counts.from_index)
            family.add_metric([name, "cache"], counts.from_cache)
            family.add_metric([name, "encoder"], counts.encoded)
        yield family
