"""The SessionStore contract: sessions and tombstones, nothing else.

Engines: :mod:`.memory` (embedded, one process) and :mod:`.redis` (production,
any number of workers and nodes). The other concerns have contracts of their
own beside this one: :mod:`.events` (who hears that a session ended),
:mod:`.accounts` (users and password hashes), :mod:`.attempts` (failed-login
limits). One conformance suite, ``tests/conformance/``, runs unchanged against
every engine.

Time comes from the injectable ``clock`` given to the engine (Unix seconds), never
from the engine's own idea of "now", so tests move time instead of sleeping. Redis
key TTLs are only a garbage-collection backstop; deadlines are compared with the
clock.

Every method may raise :class:`~.records.StoreUnavailable`; none half-applies a
change when it does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from server.sessions.attempts import Reservation
from server.sessions.contest import ContestRule
from server.sessions.policy import Policy, SessionLimits
from server.sessions.records import Clock, LoginOutcome, SessionRecord, Status, Unreachable
from shared.messages import By
from shared.reasons import EndReason


class SessionStore(ABC):
    """Live sessions and the tombstones of ended ones, per user."""

    name: ClassVar[str]

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    @abstractmethod
    async def login(
        self,
        new: SessionRecord,
        *,
        policy: Policy,
        max_sessions: SessionLimits | int,
        takeover: bool,
        idle_ttl: float,
        settle: Reservation | None = None,
        presence_grace: float | None = None,
        contest: ContestRule | None = None,
    ) -> LoginOutcome:
        """Atomically decide (``policy.decide``) and apply a login.

        In one step no other call can interleave with: turn the user's sessions
        whose idle deadline passed into ``expired`` tombstones, end sessions
        created before a detected store reset (:meth:`watch`) as
        ``server_reset``, decide, admit ``new`` with idle deadline
        ``min(now + idle_ttl, new.expires_at)``, and for every evicted session
        delete it, write a ``displaced`` tombstone naming ``new``'s device, IP and
        ``now`` (kept until that session's ``expires_at``), and publish its event.
        A refused login changes no session.

        ``max_sessions``: the limits of ``--max-sessions`` (a bare number: one for all
        classes together); ``new.device_class`` picks the pool it is judged in, and
        is kept with the session. A class the limits do not allow raises ValueError.

        ``settle`` is the attempt reservation of this login's verified password
        (:class:`~.attempts.AttemptLimiter`): in the same step it is released and
        the device remembered as known to the account, whether or not the policy
        admits the login - the password was right either way.

        ``presence_grace``: a session last seen present (:meth:`check` with
        ``present``; its login counts) longer ago than this is *absent*, and
        ``reject`` / ``confirm`` may evict it (``policy.decide``). None: every
        session blocks, present or not.

        ``contest``: the ping-pong guard. A login the policy admits that would
        evict another device's session is judged by ``contest.judge`` in the same
        step, against the account's guard state, which the step updates; refused,
        it changes no session and its outcome carries ``contested``; when that
        refusal makes the account contested, a :class:`~.records.ContestEvent` is
        published. None: no guard, nothing counted.
        """

    @abstractmethod
    async def uncontest(self, user: str) -> bool:
        """Clear the ping-pong guard of ``user`` (cool-down, repeats and count) atomically.

        True when the account was contested (in a cool-down) until now. Idempotent.
        """

    @abstractmethod
    async def check(
        self, user: str, jti: str, *, touch_ttl: float | None = None, present: bool = False
    ) -> Status:
        """The session's state now; with ``touch_ttl``, extend a live one.

        Extending sets the idle deadline to ``min(now + touch_ttl, expires_at)``.
        ``present``: the session's PC holds a socket now (marks a live one seen).
        A session past its idle deadline is turned into an ``expired`` tombstone on
        sight; a tombstone lasts until the session's ``expires_at``, after which
        nothing is left and the check answers None.
        """

    @abstractmethod
    async def check_many(
        self,
        refs: Sequence[tuple[str, str]],
        *,
        touch_ttl: float | None = None,
        present: bool = False,
    ) -> list[Status | Unreachable]:
        """:meth:`check` for many ``(user, jti)`` pairs in one round trip, in order.

        Not atomic across pairs; each pair is checked atomically. Partial when the
        store is: a pair whose part of the store cannot be reached (one Redis
        Cluster shard down) is :data:`~.records.UNREACHABLE` and the others are
        answered; only a store unreachable as a whole raises StoreUnavailable.
        """

    @abstractmethod
    async def end(
        self, user: str, jti: str, reason: EndReason, by: By | None = None
    ) -> SessionRecord | None:
        """End one live session: delete it, tombstone it, publish its event.

        Idempotent: ending an unknown or already-ended session returns None and
        publishes nothing.
        """

    @abstractmethod
    async def end_all(
        self, user: str, reason: EndReason, by: By | None = None
    ) -> list[SessionRecord]:
        """End every live session of ``user`` atomically, as :meth:`end` does."""

    @abstractmethod
    async def sessions_of(self, user: str) -> list[SessionRecord]:
        """The user's live sessions, oldest first."""

    @abstractmethod
    async def scan_sessions(self, cursor: str, count: int) -> tuple[list[SessionRecord], str]:
        """One page of all live sessions and the next cursor (``"0"`` when done).

        Cursor-based and stateless like Redis SCAN: a session live for the whole
        walk is returned at least once. A page may be served from a cache up to
        5 s old. Meant for admin screens, never for a request hot path. A cursor
        this engine never issued raises ValueError.
        """

    @abstractmethod
    async def purge_expired(self) -> int:
        """Walk every user now and drop what passed its deadline; return the sessions gone.

        A whole walk, for tests and diagnostics; periodic work calls
        :meth:`housekeep` instead.
        """

    @abstractmethod
    async def housekeep(self) -> int:
        """The engine's own periodic cleanup, called on every sweep; cheap when idle.

        The memory engine purges; the Redis engine does nothing, since its keys
        expire by themselves and a keyspace walk per sweep would cost more than
        the garbage it collects.
        """

    @abstractmethod
    async def footprint(self, user: str) -> int:
        """How many records (sessions, tombstones, indexes) the store holds for ``user``.

        Diagnostics and tests: once every token of the user is past its ``exp``
        and purged, it must be 0. Accounts and attempt counters are not counted.
        """

    @abstractmethod
    async def watch(self) -> bool:
        """Detect that the store went back in time; True when a reset was newly learned.

        Every change bumps a monotonic counter; each process remembers the highest
        value it saw. A store that now holds less (restored from an older snapshot,
        flushed) lost changes - logouts and displacements among them - so from then
        on every session created before the detection ends as ``server_reset`` on
        its next check or login. Engines that cannot go back in time return False.
        """

    @abstractmethod
    async def ping(self) -> int:
        """How many parts of the store did not answer (Redis Cluster primaries; else 0);
        StoreUnavailable when none did."""
