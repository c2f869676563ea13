"""The Takeovers contract: the pending takeover request of each account (policy ``ask``).

Under ``ask`` a login that another PC's live session blocks does not fail at once:
the service (:mod:`server.core.asking`) opens a request here, every worker hears it
(:class:`~.records.TakeoverEvent` on the event bus) and the one holding the asked
PC's socket shows it; the asked PC's answer, the waiting login's time-out or its
cancel closes it. Each of those is one atomic step of the store, so exactly one of
them decides (the first), and each publishes what it decided.

Engines: :class:`~.memory_takeovers.MemoryTakeovers` and
:class:`~.redis_takeovers.RedisTakeovers` (``scripts/ask.lua``), held to one
behaviour by ``tests/conformance/test_takeovers.py``. An account has one request at
a time: a record kept until a little after its deadline, so the waiting login can
still read how it ended.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

from server.sessions.records import Clock
from shared.messages import By, TakeoverOutcome

KEEP_AFTER = 30.0  # seconds a closed request stays readable after its deadline

Answered = Literal["answered", "closed", "not_found", "not_asked"]


@dataclass(frozen=True, slots=True)
class TakeoverRequest:
    user: str
    id: str  # opaque, unguessable: names the request in POST /api/takeover-requests/{id}
    device_id: str  # the waiting PC's: the same PC asking again supersedes its request
    by: By  # the waiting PC, as the asked PC is shown it
    targets: tuple[str, ...]  # JTIs of the sessions asked (any one of them may answer)
    deadline: float  # store clock: no answer by then is a time-out
    state: TakeoverOutcome = TakeoverOutcome.PENDING
    shown: bool = False  # a worker holding an asked session's socket delivered it

    def closed(self, state: TakeoverOutcome) -> TakeoverRequest:
        return dataclasses.replace(self, state=state)


class Takeovers(ABC):
    name: str

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    @abstractmethod
    async def open(self, request: TakeoverRequest) -> TakeoverRequest | TakeoverOutcome | None:
        """Make ``request`` the account's pending request and publish it (state pending).

        None when opened. An account has one pending request at a time: while one of
        another device is pending (before its deadline) nothing changes and that one
        is returned; a pending one of the same device is closed as ``superseded``
        (and published) first. While the account's latest request is one of the same
        device that was denied (kept until ``KEEP_AFTER`` past its deadline), nothing
        changes and ``denied`` is returned: a declined PC cannot ask again at once.
        """

    @abstractmethod
    async def get(self, user: str) -> TakeoverRequest | None:
        """The account's latest request, pending or closed, until ``KEEP_AFTER`` past its
        deadline; None after that."""

    @abstractmethod
    async def mark_shown(self, user: str, request_id: str) -> bool:
        """Note that an asked session's socket was given the pending request ``request_id``;
        False (nothing changes) when it is no longer pending: then it must not be shown."""

    @abstractmethod
    async def answer(
        self, user: str, request_id: str, jti: str, allow: bool
    ) -> tuple[Answered, TakeoverOutcome | None]:
        """The asked session ``jti``'s answer; the first decision wins.

        ``("answered", allowed|denied)`` when it decided the pending request (and was
        published); ``("closed", state)`` when the request was over already (past its
        deadline counts as ``timed_out``, which this call then decides and publishes);
        ``("not_found", None)`` for no such request of ``user``; ``("not_asked", None)``
        when ``jti`` is not one of the asked sessions.
        """

    @abstractmethod
    async def close(
        self, user: str, request_id: str, state: TakeoverOutcome, *, unless_shown: bool = False
    ) -> TakeoverOutcome:
        """Close the pending request ``request_id`` as ``state`` (published) and return it;
        a request already closed keeps - and returns - its state. ``unless_shown``: leave a
        request an asked socket has been shown pending (and return ``pending``). A request
        no longer known returns ``timed_out``."""
