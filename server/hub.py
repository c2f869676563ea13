"""This worker's sockets, by JTI: delivers store events, re-checks sessions, pings.

Per socket the hub keeps one dict entry (JTI → ``(user, ws, token exp)``) and
nothing else: no task, no timer. The entries are spread over ``SLOTS`` dicts by
the JTI's hash, so each socket has its own phase in every periodic round, and
a round is ``SLOTS`` small slices spread evenly over its period rather than one
burst over every socket (at 18,000 sockets one burst stalled the worker for
0.6 to 0.9 s; a slice is ~70 sockets). Four loops per worker do all the work:

* ``listen``    — the store subscription (on a cluster: of the users whose
  sockets are here, one connection per shard); an event naming a JTI held here
  sends the ending message and closes that socket.
* ``recheck``   — one slice every ``recheck_interval / SLOTS``: one store round
  trip re-checks the slice's sessions (pub/sub is at-most-once; this is the
  backstop) and refreshes the idle deadline of those whose sockets are alive.
* ``heartbeat`` — one slice every ``ping_interval / SLOTS``: a socket whose
  previous ping is still unanswered is dropped (1011), the others are pinged,
  so dead peers do not pin sessions.
* ``watch``     — every second asks the store whether it went back in time
  (``SessionStore.watch``); when it did, re-checks every slice at once, so
  sockets of sessions from before the reset are told ``reset`` now.

The hub follows a user on the event bus from the user's first socket here to its
last (``EventBus.follow``); a socket is checked only once the user's events are
heard (``EventBus.heard``), so an ending published after the check reaches it.

A session this worker admitted a moment ago (``admitted``) lets its first socket
skip the store check on connect (``fresh``): the check would only confirm what
the login just wrote. It stays correct because every ending is published by the
same atomic step that ends the session, and this worker heard the user's events
without a gap from before the admission to the socket (``EventBus.mark`` is the
same then as at the admission; a user whose events were not heard at the
admission gets no fresh entry): an event heard before the socket registers
removes the session from the fresh set (and one heard even before ``admitted``
keeps it out), and one heard after finds the socket and closes it. Events missed
while a subscription was down are covered as for any socket: the resync after it
clears the set and re-checks the sockets it covered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from sanic import Websocket

from server.account_lists import AccountLists
from server.config import ServerSettings
from server.core.asking import Waits
from server.idle_socket import close, cut, stuck
from server.metrics import Metrics
from server.sessions.factory import Stores
from server.sessions.records import (
    ContestEvent,
    SessionRecord,
    StoreEvent,
    StoreUnavailable,
    TakeoverEvent,
    Unreachable,
    ending_of,
)
from shared.close_codes import CloseCode
from shared.messages import By, MessageType, TakeoverOutcome
from shared.policies import Policy
from shared.reasons import ENDINGS, EndReason, end_message

log = logging.getLogger("loginguard.hub")

SLOTS = 256  # phases per round: a slice holds 1/SLOTS of the sockets
_WATCH_EVERY = 1.0  # seconds between checks that the store did not go back in time
FRESH_FOR = 30.0  # seconds (at most half the idle TTL) a first socket may skip the check
SHUTDOWN_CLOSE_DEADLINE = 3.0  # seconds peers get to answer a 1001 before they are cut
HEARD_WITHIN = 2.0  # seconds a new socket waits for its user's subscription, else 1013
_FRESH_MAX = 10_000  # just-admitted sessions (and just-ended JTIs) remembered at most
_RESYNC_BATCH = 100  # sockets re-checked per store round trip when some users are resynced

Entry = tuple[str, Websocket, float]  # user, socket, the token's exp
Slice = dict[str, Entry]


async def send_ending(
    ws: Websocket, reason: EndReason, by: By | None, on_abort: Callable[[], None] | None = None
) -> None:
    """Tell the peer why its session ended, then close with the matching code (with a deadline)."""
    message = json.dumps(end_message(reason, by))
    await close(ws, ENDINGS[reason].close, reason.value, first=message, on_abort=on_abort)


async def _send(ws: Websocket, message: Mapping[str, object]) -> None:
    with contextlib.suppress(Exception):  # a closing socket refuses; nothing to tell
        await ws.send(json.dumps(message))


def _consume(future: asyncio.Future[Any]) -> None:
    # A ping aborted by a lost connection carries an exception nobody awaits.
    if not future.cancelled():
        future.exception()


class Hub:
    def __init__(
        self,
        stores: Stores,
        settings: ServerSettings,
        metrics: Metrics,
        waits: Waits | None = None,
    ) -> None:
        self._store = stores.sessions
        self._takeovers = stores.takeovers
        self._waits = Waits() if waits is None else waits
        self._events = stores.events
        self._settings = settings
        self._metrics = metrics
        self._slots: list[Slice] = [{} for _ in range(SLOTS)]
        self._count = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._store_down = False
        self._fresh: dict[str, tuple[SessionRecord, float, int]] = {}  # jti → (record, since, mark)
        self._ended: dict[str, None] = {}  # JTIs whose ending was heard lately, oldest first
        self._drained: asyncio.Event | None = None  # set once the last socket goes, at shutdown
        self._lists = AccountLists(self._store, self._socket_of, self._spawn)

    def __len__(self) -> int:
        return self._count

    def _slot(self, jti: str) -> Slice:
        return self._slots[hash(jti) % SLOTS]

    def _socket_of(self, jti: str) -> Websocket | None:
        entry = self._slot(jti).get(jti)
        return None if entry is None else entry[1]

    def add(self, user: str, jti: str, ws: Websocket, expires_at: float) -> None:
        """Hold ``ws`` for the session ``jti`` whose token ends at ``expires_at``."""
        held = self._slot(jti)
        old = held.get(jti)
        held[jti] = (user, ws, expires_at)
        if old is None:
            self._count += 1
            self._metrics.sockets.set(self._count)
            self._metrics.worker_sockets.set(self._count)
            if self._lists.add(user, jti):
                self._events.follow(user)
        elif old[1] is not ws:
            # The same session opened a second socket: the newer one wins.
            self._spawn(self._close(old[1], CloseCode.GOING_AWAY, "replaced by a newer socket"))

    def discard(self, jti: str, ws: Websocket) -> None:
        held = self._slot(jti)
        entry = held.get(jti)
        if entry is not None and entry[1] is ws:
            del held[jti]
            if self._lists.remove(entry[0], jti):
                self._events.unfollow(entry[0])
            self._count -= 1
            self._metrics.sockets.set(self._count)
            self._metrics.worker_sockets.set(self._count)
            if not self._count and self._drained is not None:
                self._drained.set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _close(self, ws: Websocket, code: int, reason: str) -> Coroutine[Any, Any, None]:
        return close(ws, code, reason, on_abort=self._aborted)

    def _aborted(self) -> None:
        # A peer that did not answer our close within the deadline: cut.
        self._metrics.close_aborted.inc()

    async def heard(self, user: str) -> bool:
        """Wait until ``user``'s events reach this worker (at most the store's timeout);
        whether they do. Call after :meth:`add`, before checking the session."""
        return await self._events.heard(user, HEARD_WITHIN)

    def admitted(self, record: SessionRecord) -> None:
        """This worker just admitted ``record``: its first socket may skip the check."""
        if record.jti in self._ended:
            return  # ended before we got here: the socket must hear it from the store
        mark = self._events.mark(record.user)
        if mark is None:
            return  # the user's events are not heard here: an ending could pass unheard
        self._fresh[record.jti] = (record, time.monotonic(), mark)
        if len(self._fresh) > _FRESH_MAX:
            del self._fresh[next(iter(self._fresh))]

    def fresh(self, jti: str) -> SessionRecord | None:
        """The record of ``jti`` if this worker admitted it lately and heard no ending since."""
        entry = self._fresh.pop(jti, None)
        if self._settings.policy is not Policy.DISPLACE:
            # Under reject / confirm the check also marks the session present, which
            # the presence grace depends on: without it a PC connected a while after
            # its login could look absent until its first re-check.
            return None
        # Idle expiry publishes no event: within half the idle TTL of its login a
        # session cannot have idled out.
        window = min(FRESH_FOR, self._settings.idle_ttl / 2)
        if entry is None or time.monotonic() - entry[1] > window:
            return None
        if self._events.mark(entry[0].user) != entry[2]:
            return None  # the user's events were not heard all along since the admission
        return entry[0]

    def on_event(self, event: StoreEvent) -> None:
        self._metrics.events_received.inc()
        self._waits.on_event(event)  # logins of this worker waiting under policy ask
        if isinstance(event, TakeoverEvent):
            self._on_takeover(event)
            return
        if isinstance(event, ContestEvent):  # informative: the sockets stay open
            message = {"type": MessageType.CONTESTED.value, "retry_after": event.retry_after}
            self._lists.send(event.user, message)
            return
        jti = event.jti
        if event.reason is None:  # a login joined the account's other sessions
            self._lists.changed(event.user)
            return
        self._lists.changed(event.user, gone=jti)
        if self._fresh.pop(jti, None) is None:
            self._ended[jti] = None
            if len(self._ended) > _FRESH_MAX:
                del self._ended[next(iter(self._ended))]
        entry = self._slot(jti).get(jti)
        if entry is not None:
            if event.by is not None:  # when it ended, by the clock of the node that ended it
                pushed = self._metrics.push_seconds.labels(event.reason.value)
                pushed.observe(max(0.0, time.time() - event.by["at"]))
            self._spawn(send_ending(entry[1], event.reason, event.by, self._aborted))

    def _on_takeover(self, event: TakeoverEvent) -> None:
        """Policy ask: show a new request on the asked sockets held here, or take it back."""
        for jti in event.targets:
            ws = self._socket_of(jti)
            if ws is None or stuck(ws):
                continue
            if event.state is TakeoverOutcome.PENDING:
                self._spawn(self._ask(event, ws))
            else:
                closed = {"type": MessageType.TAKEOVER_CLOSED.value, "id": event.id}
                self._spawn(_send(ws, {**closed, "outcome": event.state.value}))

    async def show_pending(self, user: str, jti: str, ws: Websocket) -> None:
        """Policy ask: a socket (re)connecting while its session is being asked is shown
        the request too (one store read per connect, under ask only)."""
        if self._settings.policy is not Policy.ASK:
            return
        try:
            request = await self._takeovers.get(user)
        except StoreUnavailable:
            return
        if request is None or request.state is not TakeoverOutcome.PENDING:
            return
        left = request.deadline - self._takeovers.clock()
        if jti in request.targets and left > 0:
            event = TakeoverEvent(
                user, request.id, request.state, request.targets, request.by, math.ceil(left)
            )
            await self._ask(event, ws)

    async def _ask(self, event: TakeoverEvent, ws: Websocket) -> None:
        # Marked shown first: a request closed meanwhile (or unseen for too long, then
        # admitted) is not shown at all.
        try:
            if not await self._takeovers.mark_shown(event.user, event.id):
                return
        except StoreUnavailable:
            return  # the waiting login finds it unseen and goes on
        message = {
            "type": MessageType.TAKEOVER_REQUEST.value,
            "id": event.id,
            "by": event.by,
            "timeout": event.timeout,
        }
        await _send(ws, message)

    async def run(self) -> None:
        """Run the four loops until cancelled."""
        s = self._settings
        async with asyncio.TaskGroup() as group:
            group.create_task(self._events.listen(self.on_event, self.sweep))
            recheck = self._rotate("recheck", s.recheck_interval, self._recheck, self._housekeep)
            group.create_task(recheck)
            group.create_task(self._rotate("heartbeat", s.ping_interval, self._heartbeat))
            group.create_task(self._every(_WATCH_EVERY, self._watch))

    async def _rotate(
        self,
        name: str,
        period: float,
        job: Callable[[Slice], Awaitable[None]],
        after_round: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Run ``job`` on one slice after another, ``SLOTS`` slices per ``period``."""
        loop = asyncio.get_running_loop()
        tick = period / SLOTS
        due = loop.time()
        slot = 0
        timer = self._metrics.slice_seconds.labels(name)
        while True:
            due += tick
            await asyncio.sleep(due - loop.time())
            started = time.perf_counter()
            try:
                await job(self._slots[slot])
            except StoreUnavailable:
                # Keep sockets open through a store outage; the next round retries.
                self._note_store(down=True)
            timer.observe(time.perf_counter() - started)
            slot = (slot + 1) % SLOTS
            if slot == 0 and after_round is not None:
                await after_round()
            # Fallen behind (a slow store, a long slice): go on from now
            # instead of catching up in a burst.
            due = max(due, loop.time())

    def _note_store(self, *, down: bool) -> None:
        # One line when the store goes and one when it is back, not one per slice.
        if down and not self._store_down:
            log.warning("event=recheck_paused reason=store_unavailable")
        elif self._store_down and not down:
            log.info("event=recheck_resumed")
        self._store_down = down
        self._metrics.store_reachable.set(0 if down else 1)

    async def _every(self, period: float, job: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await job()
            except StoreUnavailable:
                self._note_store(down=True)
            else:
                self._note_store(down=False)

    async def _housekeep(self) -> None:
        try:
            purged = await self._store.housekeep()
        except StoreUnavailable:
            self._note_store(down=True)
            return
        if purged:
            log.info("event=expiry_cleanup purged=%d", purged)

    async def _watch(self) -> None:
        if await self._store.watch():
            await self.sweep()

    async def sweep(self, users: frozenset[str] | None = None) -> None:
        """Re-check the sessions of every socket now (or of ``users``' sockets), one slice
        (or one batch of users) per store round trip."""
        self._fresh.clear()  # after a resync or a reset, only the store is believed
        if users is None:
            for held in self._slots:
                await self._recheck(held)
            return
        batch: Slice = {}
        for user in users:
            for jti in self._lists.jtis_of(user):
                entry = self._slot(jti).get(jti)
                if entry is not None:
                    batch[jti] = entry
            if len(batch) >= _RESYNC_BATCH:
                await self._recheck(batch)
                batch = {}
        await self._recheck(batch)

    async def _recheck(self, held: Slice) -> None:
        """Close the sockets of this slice whose session ended; refresh the live."""
        if not held:
            return
        items = list(held.items())
        refs = [(user, jti) for jti, (user, _, _) in items]
        touch = self._settings.idle_ttl
        statuses = await self._store.check_many(refs, touch_ttl=touch, present=True)
        self._note_store(down=False)
        now = time.time()
        closed = 0
        for (jti, (user, ws, exp)), status in zip(items, statuses, strict=True):
            if isinstance(status, Unreachable):
                continue  # its shard is down: nothing is known, a later round asks again
            ending = ending_of(status, token_expired=exp <= now)
            if ending is not None:
                closed += 1
                self._spawn(send_ending(ws, *ending, self._aborted))
                self._lists.changed(user, gone=jti)  # an expiry is announced by nobody else
            elif self._lists.listed_many(user):
                self._lists.changed(user)  # another of its sessions may have idled out
        if closed:
            log.info("event=sweep_closed sockets=%d", closed)

    async def _heartbeat(self, held: Slice) -> None:
        """Drop the slice's sockets that did not answer the last ping; ping the rest."""
        for _, ws, _ in list(held.values()):
            if ws.pings:
                ws.fail_connection(CloseCode.INTERNAL, "ping timeout")
                continue
            if stuck(ws):
                cut(ws)  # not reading: a ping would wait on it, and every socket behind it
                continue
            try:
                pong = await ws.ping()
            except Exception:
                # Closing: its close has a deadline, which also cuts one that never ends.
                self._spawn(self._close(ws, CloseCode.INTERNAL, "ping refused"))
            else:
                pong.add_done_callback(_consume)

    async def close_all(self) -> None:
        """Server shutdown: tell every peer to come back later, and wait until they are gone.

        Returns once every socket's handler has let go of it, or after
        ``SHUTDOWN_CLOSE_DEADLINE`` and a little more, by which time every peer that
        did not answer has been cut: the whole stop must fit the supervisor's
        deadline (``server/supervisor.py``). Logins waiting under policy ask are
        answered first (:meth:`Waits.stop`): their requests must not outlive them.
        """
        self._waits.stop()
        for held in self._slots:
            for _, ws, _ in list(held.values()):
                self._spawn(
                    close(
                        ws,
                        CloseCode.GOING_AWAY,
                        "server shutting down",
                        on_abort=self._aborted,
                        deadline=SHUTDOWN_CLOSE_DEADLINE,
                    )
                )
        self._drained = asyncio.Event()
        if not self._count:
            self._drained.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), SHUTDOWN_CLOSE_DEADLINE + 0.5)
        for task in self._tasks:  # an ending still being written: the loop is closing
            task.cancel()
