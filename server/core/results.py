"""What the session service answers: domain results, never transport errors."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth import Claims
from server.sessions.policy import Policy
from server.sessions.records import SessionRecord
from shared.device_classes import DEFAULT_CLASS
from shared.messages import By, TakeoverOutcome
from shared.reasons import EndReason


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """A login as the service sees it: validated and cleaned fields, and the peer."""

    username: str
    password: str
    device_id: str
    device_name: str
    takeover: bool
    ip: str
    device_class: str = DEFAULT_CLASS  # one the server's limits allow


@dataclass(frozen=True, slots=True)
class Admitted:
    session: SessionRecord
    token: str
    displaced: tuple[SessionRecord, ...]


@dataclass(frozen=True, slots=True)
class Refused:
    """The policy kept the account's other sessions: the login changed nothing."""

    policy: Policy
    conflicts: tuple[SessionRecord, ...]


@dataclass(frozen=True, slots=True)
class RateLimited:
    retry_after: float  # seconds


@dataclass(frozen=True, slots=True)
class Contested:
    """The ping-pong guard refused a login that would have displaced a session."""

    retry_after: float  # seconds


@dataclass(frozen=True, slots=True)
class BadCredentials:
    pass


@dataclass(frozen=True, slots=True)
class AccountDisabled:
    pass


@dataclass(frozen=True, slots=True)
class TakeoverRefused:
    """Policy ask: the asked PC declined, or did not answer and ``--ask-default deny``
    (``outcome`` timed_out), or this PC's newer login superseded the request."""

    outcome: TakeoverOutcome


@dataclass(frozen=True, slots=True)
class TakeoverBusy:
    """Policy ask: another PC's takeover request for the account is pending; nothing
    was asked."""

    retry_after: float  # seconds until that request times out at the latest


LoginResult = (
    Admitted
    | Refused
    | Contested
    | RateLimited
    | BadCredentials
    | AccountDisabled
    | TakeoverRefused
    | TakeoverBusy
)


@dataclass(frozen=True, slots=True)
class Authenticated:
    claims: Claims
    session: SessionRecord


@dataclass(frozen=True, slots=True)
class SessionOver:
    """The token does not (or no longer) stand for a live session, and why."""

    reason: EndReason  # INVALID for a missing, malformed or forged token
    by: By | None = None


AuthResult = Authenticated | SessionOver
