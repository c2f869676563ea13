"""Why a session ended, and how each side says it.

One row per reason ties together the tombstone reason stored on the server,
the REST error code, the WebSocket message type and the close code, so the two
sides cannot drift apart.
"""

from dataclasses import dataclass
from enum import StrEnum

from shared.close_codes import CloseCode
from shared.errors import ErrorCode
from shared.messages import By, MessageType


class EndReason(StrEnum):
    DISPLACED = "displaced"  # the account signed in on another device
    LOGGED_OUT = "logged_out"  # the user signed out
    ADMIN = "admin"  # an administrator ended it
    DISABLED = "disabled"  # the account was disabled
    EXPIRED = "expired"  # idle timeout or absolute lifetime
    SERVER_RESET = "server_reset"  # the store no longer knows the session (restart, restore)
    INVALID = "invalid_token"  # the token itself is not acceptable


@dataclass(frozen=True, slots=True)
class ReasonCodes:
    error: ErrorCode
    message: MessageType
    close: CloseCode


ENDINGS: dict[EndReason, ReasonCodes] = {
    EndReason.DISPLACED: ReasonCodes(
        ErrorCode.SESSION_DISPLACED, MessageType.DISPLACED, CloseCode.DISPLACED
    ),
    EndReason.LOGGED_OUT: ReasonCodes(
        ErrorCode.SESSION_LOGGED_OUT, MessageType.LOGGED_OUT, CloseCode.LOGGED_OUT
    ),
    EndReason.ADMIN: ReasonCodes(ErrorCode.SESSION_REVOKED, MessageType.REVOKED, CloseCode.REVOKED),
    EndReason.DISABLED: ReasonCodes(
        ErrorCode.SESSION_REVOKED, MessageType.REVOKED, CloseCode.REVOKED
    ),
    EndReason.EXPIRED: ReasonCodes(
        ErrorCode.SESSION_EXPIRED, MessageType.EXPIRED, CloseCode.EXPIRED
    ),
    EndReason.SERVER_RESET: ReasonCodes(
        ErrorCode.SESSION_RESET, MessageType.RESET, CloseCode.RESET
    ),
    EndReason.INVALID: ReasonCodes(
        ErrorCode.INVALID_TOKEN, MessageType.INVALID_TOKEN, CloseCode.INVALID_TOKEN
    ),
}

#: REST error code → reason, for clients that learn of the end over HTTP.
REASON_BY_ERROR: dict[ErrorCode, EndReason] = {
    ErrorCode.SESSION_DISPLACED: EndReason.DISPLACED,
    ErrorCode.SESSION_LOGGED_OUT: EndReason.LOGGED_OUT,
    ErrorCode.SESSION_REVOKED: EndReason.ADMIN,
    ErrorCode.SESSION_EXPIRED: EndReason.EXPIRED,
    ErrorCode.SESSION_RESET: EndReason.SERVER_RESET,
    ErrorCode.INVALID_TOKEN: EndReason.INVALID,
}


def end_message(reason: EndReason, by: By | None = None) -> dict[str, object]:
    """The WebSocket message that announces the end of a session."""
    message: dict[str, object] = {"type": ENDINGS[reason].message.value}
    if reason is EndReason.DISPLACED or (reason is EndReason.LOGGED_OUT and by is not None):
        message["by"] = by  # who signed in, or which of the account's PCs ended this one
    elif reason in (EndReason.ADMIN, EndReason.DISABLED):
        message["reason"] = reason.value
    return message
