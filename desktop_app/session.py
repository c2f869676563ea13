"""The desktop session state machine: plain Python, no Qt, no I/O.

::

    logged_out ──begin_login──▶ logging_in ──connected──▶ connected ◀──▶ reconnecting
     │  ▲  ▲                        │                         │              ▲  │
     │  │  └──────login_failed──────┘                         │              │  │
     └──┼─────────────────────────resume──────────────────────┼──────────────┘  │
        │                                                     └──ended(reason)──┤
        │                                                                       ▼
        └────────────acknowledge──────────── displaced / expired / revoked /
                                             logged_out_elsewhere / server_reset /
                                             token_invalid

``signed_out`` (the user's own Sign out, or quitting) leads from any active
state straight to ``logged_out``. ``begin_login`` is also allowed from an ended
state, so the login window works while the "you were signed out" dialog is
still open. ``resume`` picks up a session kept from an earlier run ("remember
me"): there is a token but no socket yet, which is what ``reconnecting`` means,
so the person sees their signed-in window at once. Under the ``ask`` policy
``awaiting_approval`` stays in ``logging_in`` and only adds how long the PC in
the way has left to allow the sign-in.

Every change, including a new reconnect delay within ``reconnecting``, is
delivered to every observer as a :class:`Transition`; a change that breaks the
diagram raises :class:`InvalidTransition` and changes nothing. The machine
never signs in by itself: only :meth:`SessionMachine.begin_login` and
:meth:`SessionMachine.resume`, called on a person's behalf (a click, or the
"remember me" they ticked), leave ``logged_out``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from shared.messages import By, Session
from shared.reasons import EndReason


class State(StrEnum):
    LOGGED_OUT = "logged_out"
    LOGGING_IN = "logging_in"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISPLACED = "displaced"  # the account signed in on another PC
    EXPIRED = "expired"  # idle timeout or absolute lifetime
    REVOKED = "revoked"  # an administrator ended it, or the account was disabled
    LOGGED_OUT_ELSEWHERE = "logged_out_elsewhere"  # this session was signed out, not by us
    # The token is well signed, but the server's store no longer knows its session
    # (restarted on the memory store, or Redis reset or restored).
    SERVER_RESET = "server_reset"
    # The server does not accept the token at all (forged, malformed, another secret).
    TOKEN_INVALID = "token_invalid"  # noqa: S105 - a state name, not a secret


ACTIVE = frozenset({State.LOGGING_IN, State.CONNECTED, State.RECONNECTING})
"""States that hold (or are getting) a token."""

ENDED_BY_REASON: dict[EndReason, State] = {
    EndReason.DISPLACED: State.DISPLACED,
    EndReason.EXPIRED: State.EXPIRED,
    EndReason.ADMIN: State.REVOKED,
    EndReason.DISABLED: State.REVOKED,
    EndReason.LOGGED_OUT: State.LOGGED_OUT_ELSEWHERE,
    EndReason.SERVER_RESET: State.SERVER_RESET,
    EndReason.INVALID: State.TOKEN_INVALID,
}
ENDED = frozenset(ENDED_BY_REASON.values())
"""States a session reaches when the server ended it; only ``acknowledge`` leaves them."""


class FailureKind(StrEnum):
    """Why a sign-in did not succeed (the machine returns to ``logged_out``)."""

    INVALID_CREDENTIALS = "invalid_credentials"
    SESSION_ACTIVE = "session_active"  # ``reject`` policy: the account is in use elsewhere
    DECLINED = "declined"  # ``confirm`` policy: the person chose not to take over
    RATE_LIMITED = "rate_limited"
    # 429 account_contested: PCs keep taking this account from each other; wait retry_after
    CONTESTED = "contested"
    STORE_UNAVAILABLE = "store_unavailable"
    UNREACHABLE = "unreachable"  # no HTTP answer at all
    INVALID_ADDRESS = "invalid_address"  # the server address cannot be used
    TIMEOUT = "timeout"  # the server took the connection but did not answer in time
    TLS = "tls"  # the secure connection could not be set up (certificate, TLS version)
    SERVER_ERROR = "server_error"  # a 5xx other than 503 store_unavailable
    ACCOUNT_DISABLED = "account_disabled"  # 403: an administrator disabled the account
    REJECTED_INPUT = "rejected_input"  # 400/422: the server refused the username or PC name
    PROTOCOL = "protocol"  # an answer this client does not understand
    CANCELLED = "cancelled"  # the person cancelled the sign-in
    # ``ask`` policy (409 takeover_denied / takeover_pending): the PC in the way was asked
    TAKEOVER_DENIED = "takeover_denied"  # ... and said no
    TAKEOVER_TIMED_OUT = "takeover_timed_out"  # ... and did not answer; the server said no
    TAKEOVER_SUPERSEDED = "takeover_superseded"  # a newer request took this one's place
    TAKEOVER_PENDING = "takeover_pending"  # another PC is asking already; wait retry_after


@dataclass(frozen=True, slots=True)
class LoginFailure:
    kind: FailureKind
    retry_after: float | None = None  # seconds, for RATE_LIMITED, CONTESTED, TAKEOVER_PENDING
    sessions: tuple[Session, ...] = ()  # the sessions in the way, for SESSION_ACTIVE
    status: int | None = None  # the HTTP status, when there was one (shown as a number)
    detail: str = ""  # for logs and people debugging; never shown (it is raw English)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a window needs to draw the session; immutable."""

    state: State = State.LOGGED_OUT
    username: str | None = None
    server: str | None = None
    session: Session | None = None  # this PC's session, once the server admitted it
    reason: EndReason | None = None  # why the session ended (ended states only)
    # Who ended it, when the server said: the PC that signed in (DISPLACED), or the
    # account's PC that ended this one (LOGGED_OUT_ELSEWHERE). None for other endings.
    by: By | None = None
    retry_in: float | None = None  # seconds until the next attempt (RECONNECTING only)
    attempt: int = 0  # failed reconnect attempts so far (RECONNECTING only)
    failure: LoginFailure | None = None  # why the last sign-in failed (LOGGED_OUT only)
    # LOGGING_IN under the ``ask`` policy: the PC in the way is being asked, and has this
    # many seconds left to answer (counted from this snapshot).
    approval_in: float | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def ended(self) -> bool:
        return self.state in ENDED


@dataclass(frozen=True, slots=True)
class Transition:
    old: Snapshot
    new: Snapshot

    @property
    def state_changed(self) -> bool:
        return self.old.state is not self.new.state


class InvalidTransition(RuntimeError):
    """An event arrived that the current state does not allow."""


Observer = Callable[[Transition], None]


class SessionMachine:
    """Holds the current :class:`Snapshot` and tells observers of every change."""

    def __init__(self) -> None:
        self._snapshot = Snapshot()
        self._observers: list[Observer] = []

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def state(self) -> State:
        return self._snapshot.state

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` after every change; return a function that stops it."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    # -- events -----------------------------------------------------------------

    def begin_login(self, username: str, server: str) -> None:
        self._require(State.LOGGED_OUT, *ENDED)
        self._set(Snapshot(State.LOGGING_IN, username=username, server=server))

    def resume(self, username: str, server: str) -> None:
        """A session kept from an earlier run is being picked up; its socket is not open yet."""
        self._require(State.LOGGED_OUT, *ENDED)
        self._set(Snapshot(State.RECONNECTING, username=username, server=server))

    def awaiting_approval(self, seconds: float) -> None:
        """The login waits for the PC in the way to allow it, at most ``seconds`` more."""
        self._require(State.LOGGING_IN)
        if self._snapshot.session is not None:
            raise InvalidTransition("admitted already: nothing left to approve")
        self._set(replace(self._snapshot, approval_in=max(0.0, seconds)))

    def login_failed(self, failure: LoginFailure) -> None:
        self._require(State.LOGGING_IN)
        s = self._snapshot
        self._set(Snapshot(State.LOGGED_OUT, username=s.username, server=s.server, failure=failure))

    def admitted(self, session: Session) -> None:
        """The server issued a token for ``session``; the socket is not open yet."""
        self._require(State.LOGGING_IN)
        self._set(replace(self._snapshot, session=session, approval_in=None))

    def connected(self, session: Session) -> None:
        """The socket is open and the server said hello."""
        self._require(State.LOGGING_IN, State.RECONNECTING)
        self._set(
            replace(
                self._snapshot, state=State.CONNECTED, session=session, retry_in=None, attempt=0
            )
        )

    def connection_lost(self, retry_in: float, attempt: int) -> None:
        """The socket dropped (or would not open) for a reason that is not an ending."""
        self._require(*ACTIVE)
        self._set(
            replace(self._snapshot, state=State.RECONNECTING, retry_in=retry_in, attempt=attempt)
        )

    def ended(self, reason: EndReason, by: By | None = None) -> None:
        """The server ended the session: terminal until acknowledged."""
        self._require(*ACTIVE)
        self._set(
            replace(
                self._snapshot,
                state=ENDED_BY_REASON[reason],
                reason=reason,
                by=by if reason in (EndReason.DISPLACED, EndReason.LOGGED_OUT) else None,
                retry_in=None,
                attempt=0,
            )
        )

    def signed_out(self) -> None:
        """The person signed out (or quit): no dialog, back to the login window."""
        self._require(*ACTIVE)
        s = self._snapshot
        self._set(Snapshot(State.LOGGED_OUT, username=s.username, server=s.server))

    def acknowledge(self) -> None:
        """The person has been told why the session ended."""
        self._require(*ENDED)
        s = self._snapshot
        self._set(Snapshot(State.LOGGED_OUT, username=s.username, server=s.server))

    # -- internals ----------------------------------------------------------------

    def _require(self, *allowed: State) -> None:
        if self._snapshot.state not in allowed:
            names = ", ".join(a.value for a in allowed)
            raise InvalidTransition(f"in state {self._snapshot.state.value}, expected {names}")

    def _set(self, new: Snapshot) -> None:
        old, self._snapshot = self._snapshot, new
        transition = Transition(old, new)
        for observer in list(self._observers):
            observer(transition)


def log_line(snapshot: Snapshot) -> str:
    """One ``key=value`` line describing ``snapshot``, for stderr.

    Always contains ``state=<name>``; an ended session carries ``reason=``, and
    when another PC ended it also ``by=<device name>``, ``ip=`` and ``at=``.
    Values with spaces or quotes are JSON-quoted so the line stays parseable.
    """
    fields: list[tuple[str, object]] = [("state", snapshot.state.value)]
    if snapshot.username:
        fields.append(("user", snapshot.username))
    if snapshot.state is State.RECONNECTING and snapshot.retry_in is not None:
        fields += [("retry_in", f"{snapshot.retry_in:.1f}"), ("attempt", snapshot.attempt)]
    if snapshot.reason is not None:
        fields.append(("reason", snapshot.reason.value))
    if snapshot.by is not None:
        fields += [
            ("by", snapshot.by["device_name"]),
            ("ip", snapshot.by["ip"]),
            ("at", datetime.fromtimestamp(snapshot.by["at"], UTC).isoformat(timespec="seconds")),
        ]
    if snapshot.failure is not None:
        fields.append(("failure", snapshot.failure.kind.value))
    return " ".join(f"{key}={_quote(str(value))}" for key, value in fields)


def _quote(value: str) -> str:
    if value and not any(c.isspace() or c in "\"'=" for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def describe_sessions(sessions: Sequence[Session]) -> str:
    """``"PC-2, PC-3"``: device names for log lines and fallbacks."""
    return ", ".join(s["device_name"] for s in sessions)
