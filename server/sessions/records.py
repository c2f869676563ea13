"""The records every store keeps, and what a check of a session can find.

Plain data, no I/O: the session service, the stores and the hub all speak in
these types. ``Status`` and :func:`ending_of` live here, beside each other, so
that "what the store found" and "why the session is over" have one reading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from shared.device_classes import DEFAULT_CLASS
from shared.messages import By, Session, TakeoverOutcome
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
    # the client's kind (shared/device_classes.py); records from before classes read so
    device_class: str = DEFAULT_CLASS

    def public(self, *, own: bool = True) -> Session:
        """The wire form. ``own=False`` for a session shown to another PC: its
        ``device_id`` is left out, since a login with a session's device_id replaces
        that session whatever the policy (it is the same PC signing in again)."""
        shown = Session(
            id=self.jti,
            jti=self.jti,
            device_name=self.device_name,
            device_class=self.device_class,
            ip=self.ip,
            created_at=self.created_at,
            expires_at=self.expires_at,
        )
        if own:
            shown["device_id"] = self.device_id
        return shown


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What is left of an ended session until its token would have expired."""

    jti: str
    reason: EndReason
    by: By | None  # the displacing device; None for logout/admin/disabled/expiry


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """Published once per ended session, to every worker on every node; and once per
    login that leaves the account with other live sessions (``reason`` None: nothing
    ended, the account's list of sessions changed)."""

    user: str
    jti: str
    reason: EndReason | None
    by: By | None


@dataclass(frozen=True, slots=True)
class ContestEvent:
    """Published once when an account becomes contested (:mod:`.contest`): its PCs keep
    taking it from each other. ``retry_after``: whole seconds of the cool-down."""

    user: str
    retry_after: int


@dataclass(frozen=True, slots=True)
class TakeoverEvent:
    """Published when a takeover request (policy ``ask``, :mod:`.takeovers`) opens -
    ``state`` pending, with the waiting PC as ``by`` and ``timeout`` whole seconds to
    answer - and when it closes, with how. ``targets``: the asked sessions' JTIs."""

    user: str
    id: str
    state: TakeoverOutcome
    targets: tuple[str, ...]
    by: By | None = None
    timeout: int = 0


StoreEvent = SessionEvent | ContestEvent | TakeoverEvent
"""What the event bus delivers."""


@dataclass(frozen=True, slots=True)
class ContestRefusal:
    """A login refused by the ping-pong guard (:mod:`.contest`); nothing changed but the
    guard's own state when ``began``."""

    retry_after: float  # seconds until a displacing login may be admitted again
    began: bool  # this login made the account contested (its event was published)
    displacements: int  # when it began: displacing logins in the window, this one too


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    admitted: SessionRecord | None  # None when the policy or the guard refused the login
    ended: tuple[SessionRecord, ...]  # sessions this login displaced
    conflicts: tuple[SessionRecord, ...]  # sessions that blocked a refused login
    contested: ContestRefusal | None = None  # set when the ping-pong guard refused it


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    password_hash: str  # argon2id, PHC string
    role: Role = "user"
    disabled: bool = False


Status = SessionRecord | Tombstone | None
"""Result of a check: live, ended (with why), or unknown to the store."""


@dataclass(frozen=True, slots=True)
class Unreachable:
    """What a check of many answers for a session whose part of the store could not be
    reached (its Redis Cluster shard is down): nothing is known, neither live nor
    ended, so nothing may be concluded; ask again later."""


UNREACHABLE = Unreachable()


def ending_of(status: Status, *, token_expired: bool) -> tuple[EndReason, By | None] | None:
    """Why a session is over, or None while it is live.

    A session the store has no record of at all (neither live nor tombstone), while
    its token has not reached its ``exp``, was lost by the store - a restarted
    memory store, a Redis restored from an older snapshot - since idle expiry
    leaves an ``expired`` tombstone until the token's own ``exp``: that is
    ``server_reset``, never a guess at "expired". Past ``exp`` (the verifier's
    clock-skew leeway, a socket swept late) nothing is left, and "expired" is true.
    """
    if isinstance(status, SessionRecord):
        return None
    if status is None:
        return (EndReason.EXPIRED if token_expired else EndReason.SERVER_RESET), None
    return status.reason, status.by
