"""This worker's sockets, by JTI: delivers store events, sweeps, pings.

Per socket the hub keeps one dict entry (JTI → ``(user, ws, token exp)``); there is no
task or timer per socket. Four loops per worker do all periodic work:

* ``listen``   — the one store subscription; an event naming a JTI held here
  sends the ending message and closes that socket.
* ``sweep``    — every ``recheck_interval`` re-checks every socket's session in
  batches (pub/sub is at-most-once; this is the backstop) and refreshes the
  idle deadline of sessions whose sockets are alive.
* ``heartbeat``— every ``ping_interval`` pings every socket; one whose previous
  ping is still unanswered is dropped (1011), so dead peers do not pin sessions.
* ``watch``    — every second asks the store whether it went back in time
  (``SessionStore.watch``); when it did, sweeps at once, so sockets of sessions
  from before the reset are told ``reset`` now rather than at the next sweep.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Coroutine
from typing import Any

from sanic import Websocket

from server.config import ServerSettings
from server.metrics import Metrics
from server.sessions.factory import Stores
from server.sessions.records import SessionEvent, StoreUnavailable, ending_of
from shared.close_codes import CloseCode
from shared.messages import By
from shared.reasons import ENDINGS, EndReason, end_message

log = logging.getLogger("loginguard.hub")

_BATCH = 500  # sessions re-checked per store round trip
_WATCH_EVERY = 1.0  # seconds between checks that the store did not go back in time


async def send_ending(ws: Websocket, reason: EndReason, by: By | None) -> None:
    """Tell the peer why its session ended, then close with the matching code."""
    code = ENDINGS[reason].close
    try:
        await ws.send(json.dumps(end_message(reason, by)))
        await ws.close(code, reason.value)
    except Exception:  # the peer may already be gone; there is nobody left to tell
        log.debug("event=close_failed code=%d", code)


def _consume(future: asyncio.Future[Any]) -> None:
    # A ping aborted by a lost connection carries an exception nobody awaits.
    if not future.cancelled():
        future.exception()


class Hub:
    def __init__(self, stores: Stores, settings: ServerSettings, metrics: Metrics) -> None:
        self._store = stores.sessions
        self._events = stores.events
        self._settings = settings
        self._metrics = metrics
        self._sockets: dict[str, tuple[str, Websocket, float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, user: str, jti: str, ws: Websocket, expires_at: float) -> None:
        """Hold ``ws`` for the session ``jti`` whose token ends at ``expires_at``."""
        old = self._sockets.get(jti)
        self._sockets[jti] = (user, ws, expires_at)
        if old is not None and old[1] is not ws:
            # The same session opened a second socket: the newer one wins.
            self._spawn(old[1].close(CloseCode.GOING_AWAY, "replaced by a newer socket"))
        self._metrics.sockets.set(len(self._sockets))

    def discard(self, jti: str, ws: Websocket) -> None:
        entry = self._sockets.get(jti)
        if entry is not None and entry[1] is ws:
            del self._sockets[jti]
            self._metrics.sockets.set(len(self._sockets))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_event(self, event: SessionEvent) -> None:
        entry = self._sockets.get(event.jti)
        if entry is not None:
            self._spawn(send_ending(entry[1], event.reason, event.by))

    async def run(self) -> None:
        """Run the three loops until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._events.listen(self.on_event, self.sweep))
            group.create_task(self._every(self._settings.recheck_interval, self._sweep_and_purge))
            group.create_task(self._every(self._settings.ping_interval, self.heartbeat))
            group.create_task(self._every(_WATCH_EVERY, self._watch))

    async def _every(self, period: float, job: Any) -> None:
        while True:
            await asyncio.sleep(period)
            started = time.perf_counter()
            try:
                await job()
                self._metrics.round_seconds.labels(job.__name__.strip("_")).observe(
                    time.perf_counter() - started
                )
            except StoreUnavailable:
                # Keep sockets open through a store outage; the next round retries.
                log.warning("event=sweep_skipped reason=store_unavailable")

    async def _sweep_and_purge(self) -> None:
        await self.sweep()
        purged = await self._store.housekeep()
        if purged:
            log.info("event=expiry_cleanup purged=%d", purged)

    async def _watch(self) -> None:
        if await self._store.watch():
            await self.sweep()

    async def sweep(self) -> None:
        """Re-check every socket's session; close the ended, refresh the live."""
        items = list(self._sockets.items())
        closed = 0
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            refs = [(user, jti) for jti, (user, _, _) in chunk]
            statuses = await self._store.check_many(refs, touch_ttl=self._settings.idle_ttl)
            now = time.time()
            for (_, (_, ws, exp)), status in zip(chunk, statuses, strict=True):
                ending = ending_of(status, token_expired=exp <= now)
                if ending is not None:
                    closed += 1
                    self._spawn(send_ending(ws, *ending))
        if closed:
            log.info("event=sweep_closed sockets=%d", closed)

    async def heartbeat(self) -> None:
        """Drop sockets that did not answer the last ping; ping the rest."""
        self._metrics.flush_gc()
        for _, ws, _ in list(self._sockets.values()):
            if ws.pings:
                ws.fail_connection(CloseCode.INTERNAL, "ping timeout")
                continue
            try:
                pong = await ws.ping()
            except Exception:  # a closing socket refuses pings; its handler cleans up
                log.debug("event=ping_refused")
            else:
                pong.add_done_callback(_consume)

    async def close_all(self) -> None:
        """Server shutdown: tell every peer to come back later."""
        for _, ws, _ in list(self._sockets.values()):
            self._spawn(ws.close(CloseCode.GOING_AWAY, "server shutting down"))
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
