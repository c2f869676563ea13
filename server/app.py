"""create_app(settings) → a Sanic app wired to its store, hub and routes."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from sanic import Sanic

from server import errors, stop
from server.auth import Passwords, Tokens
from server.collector import Collector
from server.config import ServerSettings
from server.core.asking import REACH, Waits
from server.core.service import SessionService
from server.demo import seed_demo_users
from server.hub import Hub
from server.metrics import Metrics
from server.routes import admin, auth, health, sessions, takeovers, ws
from server.sessions.factory import open_stores
from server.sessions.records import StoreUnavailable
from server.state import WorkerState

log = logging.getLogger("loginguard")

WS_MAX_FRAME = 64 * 1024
#: After the hub has closed every socket (bounded: ``Hub.close_all``), what is
#: left (an unfinished request) gets this long before it is cut. The main
#: process kills a worker still running 8 s after the stop signal
#: (``server/supervisor.py``), so this plus the hub's bound must stay under that.
GRACEFUL_SHUTDOWN_SECONDS = 2.0
#: On a stop, the hub's loops get this long to end before the sockets are closed all
#: the same: a loop slow to take its cancellation must not cost every peer its 1001.
LOOPS_END_WITHIN = 1.0


def create_app(settings: ServerSettings) -> Sanic[Any, Any]:
    app: Sanic[Any, Any] = Sanic("loginguard")
    stop.install(app)  # first: its listener must be the first to run once serving
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = GRACEFUL_SHUTDOWN_SECONDS
    app.config.WEBSOCKET_MAX_SIZE = WS_MAX_FRAME
    # No per-socket keepalive task: the hub pings every socket from one loop.
    app.config.WEBSOCKET_PING_INTERVAL = None
    app.config.WEBSOCKET_PING_TIMEOUT = None
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.config.PROXIES_COUNT = settings.proxies_count
    errors.install(app)
    # A login under policy ask waits up to the ask timeout (and the reach) for an answer.
    app.config.RESPONSE_TIMEOUT = max(60, math.ceil(settings.ask_timeout + REACH + 10))
    for bp in (auth.bp, sessions.bp, takeovers.bp, admin.bp, health.bp, ws.bp):
        app.blueprint(bp)

    @app.before_server_start
    async def open_state(app: Sanic[Any, Any]) -> None:
        stores = open_stores(
            settings.redis_url, settings.redis_prefix, audit_max=settings.audit_max
        )
        metrics = Metrics()
        passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
        tokens = Tokens(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience)
        # The hub wakes the service's logins waiting under policy ask (their accounts
        # followed on the event bus meanwhile).
        waits = Waits(stores.events)
        app.ctx.lg = WorkerState(
            settings=settings,
            stores=stores,
            service=SessionService(stores, settings, passwords, tokens, metrics, waits),
            hub=Hub(stores, settings, metrics, waits),
            passwords=passwords,
            metrics=metrics,
        )
        try:
            await stores.ping()
            log.info("event=store_connected engine=%s", stores.name)
            if settings.demo:
                await seed_demo_users(stores.accounts, passwords)
        except StoreUnavailable:
            # Serve anyway: /readyz says 503 and requests fail closed until it is back.
            log.warning("event=store_unavailable engine=%s at=startup", stores.name)

    @app.after_server_start
    async def start_hub(app: Sanic[Any, Any]) -> None:
        loop = asyncio.get_running_loop()
        app.ctx.hub_task = loop.create_task(app.ctx.lg.hub.run(), name="hub")
        app.ctx.hub_task.add_done_callback(_ended)
        collector = Collector(app.ctx.lg.metrics)
        collector.start()
        app.ctx.collector_task = loop.create_task(collector.run(), name="collector")
        app.ctx.collector_task.add_done_callback(_ended)
        log.info(
            "event=start host=%s port=%s engine=%s policy=%s max_sessions=%s",
            settings.host,
            settings.port,
            app.ctx.lg.stores.name,
            settings.policy.value,
            settings.max_sessions,
        )

    @app.before_server_stop
    async def stop_hub(app: Sanic[Any, Any]) -> None:
        hub = app.ctx.lg.hub
        log.info("event=worker_stopping sockets=%d", len(hub))
        loops: set[asyncio.Task[None]] = {app.ctx.hub_task, app.ctx.collector_task}
        for task in loops:
            task.cancel()
        _, stuck = await asyncio.wait(loops, timeout=LOOPS_END_WITHIN)
        for task in stuck:  # cancelled all the same when the loop closes
            log.error("event=stop_loop_stuck task=%s", task.get_name())
        await hub.close_all()

    @app.after_server_stop
    async def close_state(app: Sanic[Any, Any]) -> None:
        await app.ctx.lg.stores.close()
        app.ctx.lg.passwords.close()

    # No app-wide middleware: Sanic runs every request through it, and per-route
    # timing cost a few percent of every request (and of every kick). Logins are
    # timed by the service (loginguard_login_seconds); time the rest at the proxy.
    return app


def _ended(task: asyncio.Task[None]) -> None:
    """A loop that ends other than by a stop's cancellation failed: say so at once."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("event=loop_failed task=%s", task.get_name(), exc_info=error)
