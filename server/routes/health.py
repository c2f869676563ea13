"""Liveness, readiness (the store answers) and Prometheus metrics."""

from __future__ import annotations

import contextlib
import time

from prometheus_client import CONTENT_TYPE_LATEST
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from server.sessions.base import SessionStore
from server.sessions.records import StoreUnavailable
from server.state import state
from shared import paths
from shared.errors import ErrorCode

bp = Blueprint("health")
_COUNT_EVERY = 15.0  # seconds between full session counts (a SCAN walk on Redis)
_PAGE = 1000


@bp.get(paths.HEALTHZ)
async def healthz(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


@bp.get(paths.READYZ)
async def readyz(request: Request) -> HTTPResponse:
    try:
        await state(request).stores.ping()
    except StoreUnavailable:
        return json({"error": ErrorCode.STORE_UNAVAILABLE.value}, status=503)
    return json({"status": "ready", "store": state(request).stores.name})


async def _count_sessions(store: SessionStore) -> int:
    total, cursor = 0, "0"
    while True:
        page, cursor = await store.scan_sessions(cursor, _PAGE)
        total += len(page)
        if cursor == "0":
            return total


@bp.get(paths.METRICS)
async def metrics(request: Request) -> HTTPResponse:
    st = state(request)
    now = time.monotonic()
    if now - getattr(request.app.ctx, "counted_at", -_COUNT_EVERY) >= _COUNT_EVERY:
        request.app.ctx.counted_at = now
        # On an outage keep the last figure; /readyz reports the outage.
        with contextlib.suppress(StoreUnavailable):
            st.metrics.active_sessions.set(await _count_sessions(st.stores.sessions))
    return raw(st.metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
