"""Liveness, readiness (the store answers) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CONTENT_TYPE_LATEST
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from server.sessions.factory import Stores
from server.sessions.records import StoreUnavailable
from server.state import state
from shared import paths
from shared.errors import ErrorCode

bp = Blueprint("health")


@bp.get(paths.HEALTHZ)
async def healthz(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


_READY_FOR = 1.0  # seconds one answer of the store is reused


class _Readiness:
    """One store ping at a time per worker, its answer reused for ``_READY_FOR``: any
    number of unauthenticated /readyz calls cost at most one ping a second, and never
    take the connections that sessions need (a ping to a dead shard holds one until it
    times out)."""

    def __init__(self) -> None:
        self._answer: asyncio.Task[int] | None = None
        self._at = 0.0

    async def unreachable(self, stores: Stores) -> int:
        now = time.monotonic()
        if self._answer is None or (self._answer.done() and now - self._at > _READY_FOR):
            self._answer, self._at = asyncio.create_task(stores.ping()), now
            self._answer.add_done_callback(_retrieved)
        return await asyncio.shield(self._answer)


def _retrieved(task: asyncio.Task[int]) -> None:
    # A failed ping whose callers all went away must not be reported as unretrieved.
    if not task.cancelled():
        task.exception()


@bp.get(paths.READYZ)
async def readyz(request: Request) -> HTTPResponse:
    """503 only when the store does not answer at all.

    One dead Redis Cluster shard is ``degraded`` (200): every node of the server is
    equally affected by it and each still serves the other shards' accounts, so a
    balancer that took nodes out on it would take out all of them at once.
    """
    stores = state(request).stores
    ctx = request.app.ctx
    if not hasattr(ctx, "readiness"):
        ctx.readiness = _Readiness()
    try:
        missing = await ctx.readiness.unreachable(stores)
    except StoreUnavailable:
        return json({"error": ErrorCode.STORE_UNAVAILABLE.value}, status=503)
    if missing:
        return json({"status": "degraded", "store": stores.name, "unreachable_primaries": missing})
    return json({"status": "ready", "store": stores.name})


@bp.get(paths.METRICS)
async def metrics(request: Request) -> HTTPResponse:
    """Counters kept as events happen: a scrape makes no store call (see server/metrics.py)."""
    return raw(state(request).metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
