"""Policy ``ask``: a login that another PC's live session blocks asks that PC, and waits.

The login's request opens a takeover request in the store (:mod:`server.sessions.takeovers`);
the workers holding the account's sockets hear it on the event bus, and the one holding
an asked session's socket marks it shown and sends ``takeover_request`` (:mod:`server.hub`).
The waiting login then waits - on the events of its account (which its worker follows
meanwhile), and re-reading the store at least once a second, since events may be lost -
until one atomic step of the store closes the request:

* the asked PC answers (``POST /api/takeover-requests/{id}``): allowed or denied;
* no socket took the request within :data:`REACH` seconds: ``unseen`` - the asked PC is
  not there to answer, so the login is admitted at once;
* every asked session ended meanwhile: ``gone``, admitted;
* ``--ask-timeout`` passed: ``timed_out``, and ``--ask-default`` decides;
* the waiting PC closed its request (Sanic cancels the handler): ``cancelled``;
* this worker is stopping (:meth:`Waits.stop`): ``cancelled`` too, and the login gets
  :class:`Stopping` (a 503, to be retried on another worker) instead of a cut connection.

Each closing step publishes what it decided, so the asked PC's prompt goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterator

from server.sessions.base import SessionStore
from server.sessions.events import EventBus
from server.sessions.records import SessionRecord, StoreEvent, StoreUnavailable
from server.sessions.takeovers import AskLimited, TakeoverRequest, Takeovers
from shared.messages import By, TakeoverOutcome

log = logging.getLogger("loginguard.auth")

REACH = 3.0  # seconds for a worker holding an asked socket to show the request
_REREAD = 1.0  # seconds between reads of the store while waiting (events may be lost)

PENDING = TakeoverOutcome.PENDING
#: The outcomes after which the waiting login is admitted (timed_out: by --ask-default).
ADMITTING = frozenset({TakeoverOutcome.ALLOWED, TakeoverOutcome.GONE, TakeoverOutcome.UNSEEN})


class Stopping(StoreUnavailable):
    """The worker is stopping while the login waited: its request was closed as
    ``cancelled``; the login is answered as during a store outage (503), to be retried."""


class Waits:
    """Wakes this worker's waiting logins on any event of their account (the hub calls
    :meth:`on_event` for every event): one dict lookup per event. While a login waits,
    its account is followed on ``events`` (on a cluster, events are delivered only to the
    workers that follow the user)."""

    def __init__(self, events: EventBus | None = None) -> None:
        self._events = events
        self._by_user: dict[str, set[asyncio.Event]] = {}
        self.stopping = False

    def stop(self) -> None:
        """The worker is stopping: every waiting login (and any that starts to) gives up."""
        self.stopping = True
        for held in self._by_user.values():
            for woken in held:
                woken.set()

    def on_event(self, event: StoreEvent) -> None:
        for woken in self._by_user.get(event.user, ()):
            woken.set()

    @contextlib.contextmanager
    def watching(self, user: str) -> Iterator[asyncio.Event]:
        woken = asyncio.Event()
        self._by_user.setdefault(user, set()).add(woken)
        if self._events is not None:
            self._events.follow(user)
        try:
            yield woken
        finally:
            if self._events is not None:
                self._events.unfollow(user)
            held = self._by_user[user]
            held.discard(woken)
            if not held:
                del self._by_user[user]


class Asking:
    """Opens a login's takeover request and waits until it is decided."""

    def __init__(
        self, takeovers: Takeovers, sessions: SessionStore, waits: Waits, timeout: float
    ) -> None:
        self._takeovers = takeovers
        self._sessions = sessions
        self._waits = waits
        self._timeout = timeout
        self._closing: set[asyncio.Task[TakeoverOutcome]] = set()

    async def ask(
        self, record: SessionRecord, asked: tuple[SessionRecord, ...]
    ) -> TakeoverOutcome | TakeoverRequest | AskLimited:
        """Ask the PCs of ``asked`` whether ``record``'s PC may take the account over.

        The decided outcome (``denied`` at once, nothing asked, when the account's
        last request was denied lately), or the pending request of another PC that
        keeps this one from being asked (nothing was opened), or :class:`AskLimited` when
        the account asked too often lately (nothing was opened)."""
        now = self._takeovers.clock()
        request = TakeoverRequest(
            user=record.user,
            id=secrets.token_urlsafe(16),
            device_id=record.device_id,
            by=By(device_name=record.device_name, ip=record.ip, at=now),
            targets=tuple(s.jti for s in asked),
            deadline=now + self._timeout,
        )
        with self._waits.watching(record.user) as woken:
            blocking = await self._takeovers.open(request)
            if blocking is not None:
                return blocking  # another PC's pending request, or denied lately
            log.info(
                "event=takeover_asked user=%s request=%s device=%s ip=%s asked=%d",
                record.user,
                request.id[:8],
                record.device_name,
                record.ip,
                len(asked),
            )
            try:
                outcome = await self._decided(request, woken, now + REACH)
            except Stopping:
                raise  # closed already
            except asyncio.CancelledError:
                self._close_later(request, TakeoverOutcome.CANCELLED)
                raise
            except StoreUnavailable:
                self._close_later(request, TakeoverOutcome.CANCELLED)
                raise
        log.info(
            "event=takeover_closed user=%s request=%s outcome=%s",
            record.user,
            request.id[:8],
            outcome.value,
        )
        return outcome

    async def _decided(
        self, request: TakeoverRequest, woken: asyncio.Event, reach_by: float
    ) -> TakeoverOutcome:
        clock, takeovers = self._takeovers.clock, self._takeovers
        task = asyncio.current_task()
        while True:
            if task is not None and task.cancelling():
                # The waiting PC went away, but a library swallowed the cancel (redis-py
                # sends with asyncio.wait_for, which on Python 3.11 drops a cancel that
                # comes as the send completes): waiting on would admit a gone client.
                raise asyncio.CancelledError
            if self._waits.stopping:
                return await self._stopped(request)
            now = clock()
            due = min(request.deadline, reach_by) if reach_by > now else request.deadline
            # Not asyncio.wait_for, for the same reason: it would drop a cancel coming as
            # the event wakes it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, min(_REREAD, due - now))):
                    await woken.wait()
            woken.clear()
            if self._waits.stopping:
                return await self._stopped(request)
            current = await takeovers.get(request.user)
            if current is None or current.id != request.id:
                # Superseded by this PC's newer login, or forgotten (past its keep).
                return TakeoverOutcome.SUPERSEDED if current else TakeoverOutcome.TIMED_OUT
            if current.state is not PENDING:
                return current.state
            now = clock()
            close: TakeoverOutcome | None = None
            if now >= request.deadline:
                close = TakeoverOutcome.TIMED_OUT
            elif await self._all_ended(current):
                close = TakeoverOutcome.GONE
            elif not current.shown and now >= reach_by:
                state = await takeovers.close(
                    request.user, request.id, TakeoverOutcome.UNSEEN, unless_shown=True
                )
                if state is not PENDING:
                    return state
                reach_by = 0.0  # shown meanwhile: wait for the answer
            if close is not None:
                return await takeovers.close(request.user, request.id, close)

    async def _stopped(self, request: TakeoverRequest) -> TakeoverOutcome:
        # Closed while the loop still runs (a task left behind would die with it);
        # an answer that came first still counts.
        state = await self._takeovers.close(request.user, request.id, TakeoverOutcome.CANCELLED)
        if state is TakeoverOutcome.CANCELLED:
            raise Stopping("the server is stopping")
        return state

    async def _all_ended(self, request: TakeoverRequest) -> bool:
        refs = [(request.user, jti) for jti in request.targets]
        statuses = await self._sessions.check_many(refs)
        return not any(isinstance(s, SessionRecord) for s in statuses)

    def _close_later(self, request: TakeoverRequest, state: TakeoverOutcome) -> None:
        # The handler is being cancelled: close in a task of its own (the asked PC's
        # prompt must go), kept referenced until done.
        task = asyncio.get_running_loop().create_task(
            self._takeovers.close(request.user, request.id, state)
        )
        self._closing.add(task)
        task.add_done_callback(_closed)
        task.add_done_callback(self._closing.discard)


def _closed(task: asyncio.Task[TakeoverOutcome]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("event=takeover_close_failed error=%s", type(task.exception()).__name__)
