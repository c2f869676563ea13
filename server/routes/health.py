"""Liveness, readiness (the store answers) and Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from server.sessions.records import StoreUnavailable
from server.state import state
from shared import paths
from shared.errors import ErrorCode

bp = Blueprint("health")


@bp.get(paths.HEALTHZ)
async def healthz(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


@bp.get(paths.READYZ)
async def readyz(request: Request) -> HTTPResponse:
    """503 only when the store does not answer at all.

    One dead Redis Cluster shard is ``degraded`` (200): every node of the server is
    equally affected by it and each still serves the other shards' accounts, so a
    balancer that took nodes out on it would take out all of them at once.
    """
    stores = state(request).stores
    try:
        missing = await stores.ping()
    except StoreUnavailable:
        return json({"error": ErrorCode.STORE_UNAVAILABLE.value}, status=503)
    if missing:
        return json({"status": "degraded", "store": stores.name, "unreachable_primaries": missing})
    return json({"status": "ready", "store": stores.name})


@bp.get(paths.METRICS)
async def metrics(request: Request) -> HTTPResponse:
    """Counters kept as events happen: a scrape makes no store call (see server/metrics.py)."""
    return raw(state(request).metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
