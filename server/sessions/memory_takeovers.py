"""Takeover requests of the embedded engine: one dict, every method atomic (no await)."""

from __future__ import annotations

import dataclasses
import math

from server.sessions.memory import MemoryEvents
from server.sessions.records import Clock, TakeoverEvent
from server.sessions.takeovers import KEEP_AFTER, Answered, TakeoverRequest, Takeovers
from shared.messages import TakeoverOutcome

PENDING = TakeoverOutcome.PENDING


class MemoryTakeovers(Takeovers):
    name = "memory"

    def __init__(self, clock: Clock, events: MemoryEvents) -> None:
        super().__init__(clock)
        self._events = events
        self._requests: dict[str, TakeoverRequest] = {}  # user → latest request

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
        self._events.publish(
            TakeoverEvent(request.user, request.id, request.state, request.targets, by, timeout)
        )

    def _set(self, request: TakeoverRequest) -> TakeoverRequest:
        self._requests[request.user] = request
        self._publish(request)
        return request

    async def open(self, request: TakeoverRequest) -> TakeoverRequest | TakeoverOutcome | None:
        current = self._latest(request.user)
        if current is None:
            pass
        elif current.state is TakeoverOutcome.DENIED and current.device_id == request.device_id:
            return TakeoverOutcome.DENIED  # declined lately: not asked again so soon
        elif current.state is PENDING and current.deadline > self.clock():
            if current.device_id != request.device_id:
                return current
            self._set(current.closed(TakeoverOutcome.SUPERSEDED))
        self._set(request)
        # Forget accounts whose requests are long over (bounded by the accounts asking).
        if len(self._requests) > 1024:
            for user in list(self._requests):
                self._latest(user)
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
