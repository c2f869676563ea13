"""Prometheus metrics for one worker, aggregated across workers when there are several.

With ``--workers > 1`` the launcher sets ``PROMETHEUS_MULTIPROC_DIR`` before the
workers start, and ``/metrics`` (served by any worker) reads every worker's
figures through prometheus-client's own multiprocess collector.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

# The *_created series double the output and nobody graphs them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.logins = Counter(
            "loginguard_logins", "Login attempts by result", ["result"], registry=r
        )
        self.displacements = Counter(
            "loginguard_displacements", "Sessions ended by a newer login", registry=r
        )
        self.ended = Counter(
            "loginguard_sessions_ended", "Sessions ended, by reason", ["reason"], registry=r
        )
        self.errors = Counter(
            "loginguard_errors", "Error responses, by error code", ["code"], registry=r
        )
        self.sockets = Gauge(
            "loginguard_sockets", "Open WebSockets", multiprocess_mode="livesum", registry=r
        )
        self.active_sessions = Gauge(
            "loginguard_active_sessions",
            "Live sessions in the store (refreshed at most every 15 s)",
            multiprocess_mode="max",
            registry=r,
        )
        self.login_seconds = Histogram(
            "loginguard_login_seconds", "Login latency", buckets=_FAST_BUCKETS, registry=r
        )
        self.request_seconds = Histogram(
            "loginguard_request_seconds",
            "Request latency by route",
            ["route"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )

    def exposition(self) -> bytes:
        """The Prometheus text for this worker, or for all workers in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)
