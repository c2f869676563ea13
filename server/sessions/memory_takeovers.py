"""Takeover requests of the embedded engine: one dict, every method atomic (no await)."""

from __future__ import annotations

import dataclasses
import math

from server.sessions.audit import AuditEvent, MemoryAudit
from server.sessions.memory import MemoryEvents
from server.sessions.records import Clock, TakeoverEvent
from server.sessions.takeovers import (
    ASK_LIMIT,
    ASK_WINDOW,
    KEEP_AFTER,
    Answered,
    AskLimited,
    TakeoverRequest,
    Takeovers,
)
from shared.messages import TakeoverOutcome

PENDING = TakeoverOutcome.PENDING


class MemoryTakeovers(Takeovers):
    name = "memory"

    def __init__(self, clock: Clock, events: MemoryEvents, audit: MemoryAudit) -> None:
        super().__init__(clock)
        self._events = events
        self._audit = audit
        self._requests: dict[str, TakeoverRequest] = {}  # user → latest request
        self._asks: dict[str, tuple[float, int]] = {}  # user → (window start, opened in it)

    def _latest(self, user: str) -> TakeoverRequest | None:
        request = self._requests.get(user)
        if request is not None and request.deadline + KEEP_AFTER <= self.clock():
            del self._requests[user]
            return None
        return request

    def _publish(self, request: TakeoverRequest) -> None:
        timeout = 0
        if request.state is PENDING:
            timeout = max(1, math.ceil(request.deadline - self.clock()))
        by = request.by if request.state is PENDING else None
        self._audit.write(
            AuditEvent.TAKEOVER,
            request.user,
            reason=request.state.value,
            request=request.id,
            by=request.by,
        )
        self._events.publish(
            TakeoverEvent(request.user, request.id, request.state, request.targets, by, timeout)
        )

    def _refused(self, request: TakeoverRequest, event: AuditEvent, reason: str) -> None:
        # A login refused without asking, audited like the other refusals (as ask.lua).
        self._audit.write(event, request.user, reason=reason, by=request.by)

    def _set(self, request: TakeoverRequest) -> TakeoverRequest:
        self._requests[request.user] = request
        self._publish(request)
        return request

    async def open(
        self, request: TakeoverRequest
    ) -> TakeoverRequest | TakeoverOutcome | AskLimited | None:
        current, now = self._latest(request.user), self.clock()
        pending = current is not None and current.state is PENDING and current.deadline > now
        if current is not None and current.state is TakeoverOutcome.DENIED:
            self._refused(request, AuditEvent.LOGIN_REFUSED, "takeover_denied")
            return TakeoverOutcome.DENIED  # declined lately: not asked again so soon
        if pending and current is not None and current.device_id != request.device_id:
            self._refused(request, AuditEvent.LOGIN_REFUSED, "takeover_pending")
            return current
        since, asks = self._asks.get(request.user, (0.0, 0))
        if since + ASK_WINDOW <= now:
            since, asks = now, 0
        if asks >= ASK_LIMIT:
            self._refused(request, AuditEvent.LOGIN_LIMITED, "takeovers")
            return AskLimited(since + ASK_WINDOW - now)
        if pending and current is not None:
            self._set(current.closed(TakeoverOutcome.SUPERSEDED))
        self._asks[request.user] = (since, asks + 1)
        self._set(request)
        # Forget accounts whose requests are long over (bounded by the accounts asking).
        if len(self._requests) > 1024:
            for user in list(self._requests):
                self._latest(user)
            for user, (since, _) in list(self._asks.items()):
                if since + ASK_WINDOW <= now:
                    del self._asks[user]
        return None

    async def get(self, user: str) -> TakeoverRequest | None:
        return self._latest(user)

    def _pending(self, user: str, request_id: str) -> TakeoverRequest | None:
        request = self._latest(user)
        return request if request is not None and request.id == request_id else None

    async def mark_shown(self, user: str, request_id: str) -> bool:
        request = self._pending(user, request_id)
        if request is None or request.state is not PENDING:
            return False
        self._requests[user] = dataclasses.replace(request, shown=True)
        return True

    async def answer(
        self, user: str, request_id: str, jti: str, allow: bool
    ) -> tuple[Answered, TakeoverOutcome | None]:
        request = self._pending(user, request_id)
        if request is None:
            return "not_found", None
        if jti not in request.targets:
            return "not_asked", None
        if request.state is not PENDING:
            return "closed", request.state
        if request.deadline <= self.clock():
            return "closed", self._set(request.closed(TakeoverOutcome.TIMED_OUT)).state
        decided = TakeoverOutcome.ALLOWED if allow else TakeoverOutcome.DENIED
        return "answered", self._set(request.closed(decided)).state

    async def close(
        self, user: str, request_id: str, state: TakeoverOutcome, *, unless_shown: bool = False
    ) -> TakeoverOutcome:
        request = self._pending(user, request_id)
        if request is None:
            return TakeoverOutcome.TIMED_OUT
        if request.state is not PENDING:
            return request.state
        if unless_shown and request.shown:
            return PENDING
        return self._set(request.closed(state)).state
