"""The SessionStore contract: every engine keeps these promises.

Engines: :mod:`.memory` (embedded, one process) and :mod:`.redis` (production,
any number of workers and nodes). One conformance suite,
``tests/conformance/``, runs unchanged against each.

Time comes from the injectable ``clock`` given to the engine (Unix seconds), never
from the engine's own idea of "now", so tests move time instead of sleeping. Redis
key TTLs are only a garbage-collection backstop; deadlines are compared with the
clock.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from server.sessions.policy import Policy
from shared.messages import By, Session
from shared.reasons import EndReason

Clock = Callable[[], float]
Role = Literal["user", "admin"]


class StoreUnavailable(Exception):
    """The store could not be reached; the caller fails closed (HTTP 503)."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One admitted session: a JWT's JTI and the device that holds it."""

    user: str
    jti: str
    device_id: str
    device_name: str
    ip: str
    created_at: float
    expires_at: float  # absolute end of life, equal to the token's ``exp``

    def public(self) -> Session:
        return Session(
            jti=self.jti,
            device_id=self.device_id,
            device_name=self.device_name,
            ip=self.ip,
            created_at=self.created_at,
            expires_at=self.expires_at,
        )


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What is left of an ended session until its token would have expired."""

    jti: str
    reason: EndReason
    by: By | None  # the displacing device; None for logout/admin/disabled


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """Published once per ended session, to every worker on every node."""

    user: str
    jti: str
    reason: EndReason
    by: By | None


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    admitted: SessionRecord | None  # None when the policy refused the login
    ended: tuple[SessionRecord, ...]  # sessions this login displaced
    conflicts: tuple[SessionRecord, ...]  # sessions that blocked a refused login


@dataclass(frozen=True, slots=True)
class User:
    username: str
    password_hash: str  # argon2id, PHC string
    role: Role = "user"
    disabled: bool = False


Status = SessionRecord | Tombstone | None
"""Result of a check: live, ended (with why), or unknown/expired."""

EventHandler = Callable[[SessionEvent], None]
Resync = Callable[[], Awaitable[None]]


class SessionStore(ABC):
    """Sessions, tombstones, events, users and rate-limit counters.

    Every method may raise :class:`StoreUnavailable`; none half-applies a change
    when it does.
    """

    name: ClassVar[str]
    #: True when records vanish by themselves on time (Redis TTLs), so the server
    #: need not call :meth:`purge_expired` periodically.
    self_expiring: ClassVar[bool] = False

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock

    # -- sessions ---------------------------------------------------------------

    @abstractmethod
    async def login(
        self,
        new: SessionRecord,
        *,
        policy: Policy,
        max_sessions: int,
        takeover: bool,
        idle_ttl: float,
    ) -> LoginOutcome:
        """Atomically decide (``policy.decide``) and apply a login.

        In one step no other call can interleave with: drop the user's sessions
        whose deadline passed, decide, admit ``new`` with idle deadline
        ``min(now + idle_ttl, new.expires_at)``, and for every evicted session
        delete it, write a ``displaced`` tombstone naming ``new``'s device, IP and
        ``now`` (kept until that session's ``expires_at``), and publish its
        event. A refused login changes nothing.
        """

    @abstractmethod
    async def check(self, user: str, jti: str, *, touch_ttl: float | None = None) -> Status:
        """The session's state now; with ``touch_ttl``, extend a live one.

        Extending sets the idle deadline to ``min(now + touch_ttl, expires_at)``.
        A session past its deadline is deleted on sight and reported as None:
        expiry leaves nothing behind.
        """

    @abstractmethod
    async def check_many(
        self, refs: Sequence[tuple[str, str]], *, touch_ttl: float | None = None
    ) -> list[Status]:
        """:meth:`check` for many ``(user, jti)`` pairs in one round trip, in order.

        Not atomic across pairs; each pair is checked atomically.
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
        5 s old. Meant for admin screens, never for a request hot path.
        """

    @abstractmethod
    async def purge_expired(self) -> int:
        """Delete what has passed its deadline; return how many sessions went.

        Engines whose keys expire by themselves may return 0.
        """

    @abstractmethod
    async def footprint(self, user: str) -> int:
        """How many records (sessions, tombstones, indexes) the store holds for ``user``.

        Diagnostics and tests: after expiry and purge it must be 0 for session data.
        User accounts and rate-limit counters are not counted.
        """

    # -- events -----------------------------------------------------------------

    @abstractmethod
    async def listen(self, handler: EventHandler, resync: Resync) -> None:
        """Deliver every published :class:`SessionEvent` to ``handler`` until cancelled.

        One subscription per process, however many sockets it serves. Delivery is
        at-most-once: when the subscription is lost and regained, ``resync`` is
        awaited so the caller can re-check what it might have missed. Survives the
        store going away and coming back.
        """

    # -- users ------------------------------------------------------------------

    @abstractmethod
    async def put_user(self, user: User) -> None:
        """Create or replace an account."""

    @abstractmethod
    async def get_user(self, username: str) -> User | None:
        """The account, or None."""

    @abstractmethod
    async def list_users(self) -> list[User]:
        """All accounts, sorted by username."""

    # -- rate limits ------------------------------------------------------------

    @abstractmethod
    async def hit(self, key: str, window: float) -> int:
        """Count one event under ``key`` in a fixed window; return the count.

        The window starts at the first hit and lasts ``window`` seconds.
        """

    @abstractmethod
    async def peek(self, key: str) -> tuple[int, float]:
        """``(count, seconds until the window resets)``; ``(0, 0.0)`` when none."""

    @abstractmethod
    async def clear(self, key: str) -> None:
        """Forget ``key``'s count."""

    # -- lifecycle --------------------------------------------------------------

    @abstractmethod
    async def ping(self) -> None:
        """Return when the store answers; raise :class:`StoreUnavailable` otherwise."""

    async def close(self) -> None:  # noqa: B027 - engines without connections keep the default
        """Release connections. Safe to call twice."""
