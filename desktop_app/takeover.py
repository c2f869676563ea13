"""The ``ask`` policy as the PC in the way sees it: plain Python, no Qt, no I/O.

Under ``--policy ask`` a login that would take this PC's session waits on the
server while this PC is sent ``takeover_request`` (who asks, and how many
seconds it has to answer); ``takeover_closed`` says the request is settled
(answered here, timed out, cancelled by the asking PC, replaced, or gone).
This module reads those two messages and keeps the one request a person is
being asked about (:class:`Asked`).

Guarantees of :class:`Asked`: at most one request at a time, a newer one
replaces the older; a ``takeover_closed`` only removes the request it names;
a request whose time is up is over here too (the server then applies its
default), so a prompt never outlives its countdown. Times are the caller's
monotonic clock, injected, so tests need no sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from desktop_app.wire import parse_by
from shared.messages import By, MessageType

MAX_TIMEOUT = 3600.0
"""A ``timeout`` beyond this is not our server's: the prompt would never go away."""


@dataclass(frozen=True, slots=True)
class TakeoverRequest:
    """``{"type": "takeover_request", "id", "by": {device_name, ip, at}, "timeout"}``."""

    id: str
    by: By
    timeout: float  # seconds this PC has to answer, counted from the message's arrival


@dataclass(frozen=True, slots=True)
class TakeoverClosed:
    """``{"type": "takeover_closed", "id", "outcome"}``: that request is settled."""

    id: str
    outcome: str  # a shared.messages.TakeoverOutcome value, or a newer word this app ignores


def takeover_request_from_message(message: Mapping[str, object]) -> TakeoverRequest | None:
    """The request a ``takeover_request`` message carries; None for any other message
    and for one that lacks an id, a readable ``by`` or a sane timeout."""
    if message.get("type") != MessageType.TAKEOVER_REQUEST.value:
        return None
    ident, timeout, by = message.get("id"), message.get("timeout"), parse_by(message.get("by"))
    if not isinstance(ident, str) or not ident or by is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        return None
    if not 0 < timeout <= MAX_TIMEOUT or math.isnan(timeout):
        return None
    return TakeoverRequest(ident, by, float(timeout))


def takeover_closed_from_message(message: Mapping[str, object]) -> TakeoverClosed | None:
    """The settled request a ``takeover_closed`` message names; None for any other message."""
    if message.get("type") != MessageType.TAKEOVER_CLOSED.value:
        return None
    ident, outcome = message.get("id"), message.get("outcome")
    if not isinstance(ident, str) or not ident:
        return None
    return TakeoverClosed(ident, outcome if isinstance(outcome, str) else "")


class Asked:
    """The takeover request this PC is being asked about now, if any."""

    def __init__(self) -> None:
        self.request: TakeoverRequest | None = None
        self._deadline = 0.0

    def ask(self, request: TakeoverRequest, now: float) -> None:
        """A request arrived at ``now``; it replaces any earlier one."""
        self.request = request
        self._deadline = now + request.timeout

    def close(self, ident: str) -> bool:
        """The server settled request ``ident``; True when that was the one being asked."""
        if self.request is None or self.request.id != ident:
            return False
        self.request = None
        return True

    def clear(self) -> None:
        """Answered, or the session is over: nothing is being asked any more."""
        self.request = None

    def seconds_left(self, now: float) -> int:
        """Whole seconds left to answer (rounded up); 0 once the time is up or nothing is asked."""
        if self.request is None:
            return 0
        return max(0, math.ceil(self._deadline - now))

    def expire(self, now: float) -> bool:
        """Drop the request if its time is up at ``now``; True when that happened."""
        if self.request is not None and now >= self._deadline:
            self.request = None
            return True
        return False
