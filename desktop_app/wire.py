"""Reading what the server sends: JSON shapes checked, endings and session lists
recognised. Pure.

Whether a closed socket means "reconnect" or "stop" is decided here and only
here, from :func:`shared.close_codes.is_terminal`, the message types of
:mod:`shared.messages` and the table in :mod:`shared.reasons`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, cast

from shared.close_codes import is_terminal
from shared.errors import ErrorCode
from shared.messages import By, MessageType, Session
from shared.reasons import ENDINGS, REASON_BY_ERROR, EndReason


class ProtocolError(ValueError):
    """The server sent something this client does not understand."""


class OwnSession(Session):
    """A row of ``GET /api/sessions`` and of a ``sessions`` message."""

    current: NotRequired[bool]  # always set by parse_own_session


@dataclass(frozen=True, slots=True)
class Ending:
    """The server ended the session, and who did: the PC that signed in (displaced),
    or the PC of the account that ended this one (logged out), when the server says."""

    reason: EndReason
    by: By | None = None


# Several reasons share a message type or close code (admin and disabled are both
# "revoked"/4003); the message's own "reason" field tells them apart.
_BY_MESSAGE: dict[str, EndReason] = {}
_BY_CLOSE: dict[int, EndReason] = {}
for _reason, _ending in ENDINGS.items():
    _BY_MESSAGE.setdefault(_ending.message.value, _reason)
    _BY_CLOSE.setdefault(int(_ending.close), _reason)


def parse_json_object(raw: str | bytes | bytearray) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ProtocolError("expected a JSON object")
    return value


def parse_session(value: object) -> Session:
    if not isinstance(value, Mapping):
        raise ProtocolError("session is not an object")
    for key in ("jti", "device_name", "ip"):
        if not isinstance(value.get(key), str):
            raise ProtocolError(f"session.{key} is not a string")
    if "device_id" in value and not isinstance(value["device_id"], str):
        raise ProtocolError("session.device_id is not a string")  # only in one's own
    for key in ("created_at", "expires_at"):
        if not isinstance(value.get(key), int | float):
            raise ProtocolError(f"session.{key} is not a number")
    return cast(Session, dict(value))


def parse_own_session(value: object) -> OwnSession:
    """A row of the account's list: a session with its ``id`` (which ends it) and ``current``."""
    row = cast(OwnSession, parse_session(value))
    if not isinstance(row.get("id"), str) or not row["id"]:
        raise ProtocolError("session.id is not a string")
    row["current"] = row.get("current") is True  # not "false", not 1: only JSON true
    return row


def sessions_from_message(message: Mapping[str, object]) -> tuple[OwnSession, ...] | None:
    """The account's live sessions a ``sessions`` message carries, or None.

    None for any other message type, and for a ``sessions`` message that is
    not a list of well-formed rows: it replaces the whole list, so a part of
    one would be wrong, and the list shown before stays until the next.
    """
    if message.get("type") != MessageType.SESSIONS.value:
        return None
    rows = message.get("sessions")
    if not isinstance(rows, list):
        return None
    try:
        return tuple(parse_own_session(row) for row in rows)
    except ProtocolError:
        return None


def parse_by(value: object) -> By | None:
    """The ``by`` details, or None when absent or malformed (they are a courtesy)."""
    if not isinstance(value, Mapping):
        return None
    name, ip, at = value.get("device_name"), value.get("ip"), value.get("at")
    if isinstance(name, str) and isinstance(ip, str) and isinstance(at, int | float):
        return By(device_name=name, ip=ip, at=float(at))
    return None


#: Endings whose ``by`` names a device: the one that signed in, or the account's PC
#: that ended this session. Other endings have none, whatever a message carries.
_NAMED_BY = frozenset({EndReason.DISPLACED, EndReason.LOGGED_OUT})


def _by(reason: EndReason, carrier: Mapping[str, object]) -> By | None:
    return parse_by(carrier.get("by")) if reason in _NAMED_BY else None


def _revoked(reason: EndReason, detail: object) -> EndReason:
    """Tell "admin" from "disabled" by the ``reason`` field; other reasons pass through."""
    if reason not in (EndReason.ADMIN, EndReason.DISABLED):
        return reason
    return EndReason.DISABLED if detail == EndReason.DISABLED.value else EndReason.ADMIN


def ending_from_message(message: Mapping[str, object]) -> Ending | None:
    """The ending a socket message announces, or None (``hello``, unknown types)."""
    kind = message.get("type")
    if not isinstance(kind, str) or kind == MessageType.HELLO.value or kind not in _BY_MESSAGE:
        return None
    reason = _revoked(_BY_MESSAGE[kind], message.get("reason"))
    return Ending(reason, _by(reason, message))


def ending_from_close(code: int | None) -> Ending | None:
    """The ending a close code means on its own, or None: reconnect."""
    if code is None or not is_terminal(code):
        return None
    # A terminal code we have no row for still ends the session: the table in
    # shared/ is the contract, and "stop" is the safe reading of "terminal".
    return Ending(_revoked(_BY_CLOSE.get(code, EndReason.INVALID), None))


def ending_from_error(body: Mapping[str, object]) -> Ending | None:
    """The ending a 401 body on an authenticated call reports, or None."""
    try:
        code = ErrorCode(str(body.get("error")))
    except ValueError:
        return None
    if code not in REASON_BY_ERROR:
        return None
    reason = _revoked(REASON_BY_ERROR[code], body.get("reason"))
    return Ending(reason, _by(reason, body))


def is_hello(message: Mapping[str, object]) -> bool:
    return message.get("type") == MessageType.HELLO.value


def contested_from_message(message: Mapping[str, object]) -> float | None:
    """The wait a ``contested`` message announces, in seconds; None for any other
    message, and for a ``contested`` one without a usable wait (it is only a notice)."""
    if message.get("type") != MessageType.CONTESTED.value:
        return None
    wait = message.get("retry_after")
    if isinstance(wait, bool) or not isinstance(wait, int | float):
        return None
    return float(wait) if 0 < wait < math.inf else None
