"""Prometheus metrics for one worker, aggregated across workers when there are several.

Every figure is kept as its event happens (a login, an ending, a socket opened);
a scrape only reads them - no store call, nothing that grows with the sessions.
Live sessions are therefore not a gauge: ``loginguard_sessions_started`` minus
``loginguard_sessions_ended`` counts them, except the ones that ran out by
themselves (idle or token expiry, a store reset), which no event announces.

With ``--workers > 1`` the launcher sets ``PROMETHEUS_MULTIPROC_DIR`` before the
workers start, and ``/metrics`` (served by any worker) reads every worker's
figures through prometheus-client's own multiprocess collector. When a worker
dies, :func:`forget_process` drops its live gauge (its socket count would
otherwise be summed in for good); its counters stay, as counts that happened.
The main process counts the deaths (:func:`worker_deaths`) into the same
directory.

Merged means summed: a figure of all workers says nothing about one of them. The
few series a worker can be in trouble on alone carry a ``worker`` label
(:func:`worker_name`): its sockets, whether its store calls are answered, and how
late its event loop runs (``loginguard_loop_lag_seconds``; a hung worker's count of
it stops growing). ``deploy/grafana/loginguard.json`` graphs them per worker.
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from shared.errors import ErrorCode
from shared.reasons import EndReason

# The *_created series double the output and nobody graphs them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: Endings pushed with a ``by`` (a device's act, with its time): the push latency's labels.
_PUSHED = (EndReason.DISPLACED, EndReason.LOGGED_OUT)


def worker_name() -> str:
    """This worker's name (Sanic's ``Sanic-Server-<n>-<m>``; a replacement keeps it), or
    ``main`` for a server of one process: the ``worker`` label of the per-worker series."""
    return os.environ.get("SANIC_WORKER_NAME", "main")


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
        self.contested = Counter(
            "loginguard_contested_accounts",
            "Accounts marked contested by the ping-pong guard (each cool-down once)",
            registry=r,
        )
        self.ended = Counter(
            "loginguard_sessions_ended", "Sessions ended, by reason", ["reason"], registry=r
        )
        self.errors = Counter(
            "loginguard_errors", "Error responses, by error code", ["code"], registry=r
        )
        for code in ErrorCode:  # every code from the start: a rate of 0, not "no data"
            self.errors.labels(code.value)
        self.sockets = Gauge(
            "loginguard_sockets", "Open WebSockets", multiprocess_mode="livesum", registry=r
        )
        self.events_received = Counter(
            "loginguard_events_received",
            "Store events (session endings, joins, contests) this process received",
            registry=r,
        )
        self.close_aborted = Counter(
            "loginguard_close_aborted",
            "Sockets cut because the peer did not answer the close handshake in time",
            registry=r,
        )
        self.started = Counter(
            "loginguard_sessions_started", "Sessions admitted by a login", registry=r
        )
        self.limit_degraded = Counter(
            "loginguard_rate_limit_degraded",
            "Login attempts let through without a limit whose counter could not be reached"
            " (its Redis Cluster shard down), by limit",
            ["limit"],
            registry=r,
        )
        self.limit_degraded.labels("ip")  # the only limit that lapses (server/sessions/attempts.py)
        self.login_seconds = Histogram(
            "loginguard_login_seconds", "Login latency", buckets=_FAST_BUCKETS, registry=r
        )

        self.slice_seconds = Histogram(
            "loginguard_slice_seconds",
            "Duration of one slice of a periodic round over the sockets (recheck, heartbeat)",
            ["loop"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.gc_pause = Histogram(
            "loginguard_gc_pause_seconds",
            "Garbage-collector pauses by generation (a full one grows with objects held)",
            ["generation"],
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        worker = worker_name()
        self.worker_sockets = Gauge(
            "loginguard_worker_sockets",
            "Open WebSockets, by worker",
            ["worker"],
            multiprocess_mode="livesum",
            registry=r,
        ).labels(worker)
        self.store_reachable = Gauge(
            "loginguard_store_reachable",
            "1 while the worker's store calls are answered, 0 once one found the store"
            " unreachable (checked at least every second)",
            ["worker"],
            multiprocess_mode="livesum",
            registry=r,
        ).labels(worker)
        self.store_reachable.set(1)
        self.loop_lag = Histogram(
            "loginguard_loop_lag_seconds",
            "How late the worker's event loop ran a timer due every 0.25 s: a stall that"
            " every request and socket of the worker waited through",
            ["worker"],
            buckets=_LAG_BUCKETS,
            registry=r,
        ).labels(worker)
        self.push_seconds = Histogram(
            "loginguard_push_seconds",
            "From the act that ended a session (the displacing login, the ending elsewhere)"
            " to the worker holding its socket sending the ending, by reason",
            ["reason"],
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        for reason in _PUSHED:
            self.push_seconds.labels(reason.value)
        self._gc_started = 0.0
        # Filled by the gc callback, drained into gc_pause later: the callback may
        # run while a metric's (non-reentrant) lock is held, so it must not observe.
        self._gc_pending: list[tuple[int, float]] = []

    def watch_gc(self) -> None:
        """Time every collection: the stall a worker with many sockets cannot hide."""
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self._gc_pending.append((info["generation"], time.perf_counter() - self._gc_started))

    def flush_gc(self) -> None:
        """Move recorded pauses into the histogram (call from ordinary code)."""
        pending, self._gc_pending = self._gc_pending, []
        for generation, pause in pending:
            self.gc_pause.labels(str(generation)).observe(pause)

    def exposition(self) -> bytes:
        """The Prometheus text for this worker, or for all workers in multiprocess mode."""
        self.flush_gc()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)


def worker_deaths() -> Counter:
    """``loginguard_worker_deaths_total``, for the main process of ``--workers N``.

    Seen in ``/metrics`` only in multiprocess mode, which prometheus-client
    picks when first imported: ``server/__main__.py`` sets the directory first.
    """
    return Counter(
        "loginguard_worker_deaths",
        "Workers that ended while the server was not stopping",
        registry=CollectorRegistry(),
    )


def forget_process(pid: int) -> None:
    """Worker ``pid`` is gone: its ``loginguard_sockets`` stops counting (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
