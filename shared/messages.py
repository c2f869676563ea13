"""JSON messages the server sends on the WebSocket.

The client sends no data frames: liveness is protocol-level ping/pong, and any
data frame from a client is answered by closing with 1008.

``hello``      ``{"type", "session": Session, "heartbeat": seconds}``
``displaced``  ``{"type", "by": {"device_name", "ip", "at"}}`` then close 4001
``logged_out`` ``{"type", "by"?}`` then close 4002 (``by``: another PC of the account)
``revoked``    ``{"type", "reason": "admin" | "disabled"}`` then close 4003
``expired``    ``{"type"}`` then close 4004
``reset``      ``{"type"}`` then close 4005
``invalid_token`` ``{"type"}`` then close 4401
``sessions``   ``{"type", "sessions": [Session + {"current"}]}``: the account's list
               changed; the socket stays open
``takeover_request`` ``{"type", "id", "by": {"device_name", "ip", "at"}, "timeout": seconds}``:
               under policy ``ask``, another PC wants to sign in with this account and
               waits up to ``timeout`` s for this PC's answer (``POST
               /api/takeover-requests/{id}``); the socket stays open
``takeover_closed`` ``{"type", "id", "outcome": TakeoverOutcome}``: that request is over
               (answered here or elsewhere, timed out, cancelled); drop its prompt
``contested``  ``{"type", "retry_after": seconds}``: the account's PCs keep taking it
               from each other, so logins that would displace a session are refused
               for ``retry_after`` seconds; informative, the socket stays open
"""

from enum import StrEnum
from typing import NotRequired, TypedDict


class MessageType(StrEnum):
    HELLO = "hello"
    DISPLACED = "displaced"
    LOGGED_OUT = "logged_out"
    REVOKED = "revoked"
    EXPIRED = "expired"
    RESET = "reset"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - a name, not a secret
    SESSIONS = "sessions"  # the account's live sessions changed: the whole list, again
    CONTESTED = "contested"  # the ping-pong guard holds displacing logins back; not an ending
    TAKEOVER_REQUEST = "takeover_request"  # policy ask: another PC asks to take the account
    TAKEOVER_CLOSED = "takeover_closed"  # ... and that request is over


class TakeoverOutcome(StrEnum):
    """Where a takeover request (policy ``ask``) stands; every state but ``pending`` is final."""

    PENDING = "pending"
    ALLOWED = "allowed"  # the asked PC allowed: the waiting login is admitted
    DENIED = "denied"  # the asked PC declined: the waiting login gets 409 takeover_denied
    TIMED_OUT = "timed_out"  # no answer within --ask-timeout: --ask-default decides
    CANCELLED = "cancelled"  # the waiting PC gave up (closed its login request)
    SUPERSEDED = "superseded"  # the same PC asked again; the newer request counts
    GONE = "gone"  # the asked sessions ended meanwhile: the login is admitted
    UNSEEN = "unseen"  # no socket of the asked sessions took the request: admitted at once


class By(TypedDict):
    """Who ended a session: the device that signed in, or the admin's side."""

    device_name: str
    ip: str
    at: float  # Unix time, seconds


class Session(TypedDict):
    id: str  # opaque: names the session in DELETE /api/sessions/{id}; read nothing into it
    jti: str
    # Only in a PC's own session: a login with a session's device_id replaces it, so
    # lists shown to other PCs (and to a refused login) leave it out.
    device_id: NotRequired[str]
    device_name: str
    device_class: str  # "desktop", "mobile", ... (shared/device_classes.py)
    ip: str
    created_at: float
    expires_at: float
