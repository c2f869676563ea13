"""Reading what the server sends: JSON shapes checked, endings recognised. Pure.

Whether a closed socket means "reconnect" or "stop" is decided here and only
here, from :func:`shared.close_codes.is_terminal`, the message types of
:mod:`shared.messages` and the table in :mod:`shared.reasons`.
"""

from __future__ import annotations

import json
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
    """A row of ``GET /api/sessions``."""

    current: NotRequired[bool]


@dataclass(frozen=True, slots=True)
class Ending:
    """The server ended the session, and (for a displacement) who did."""

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
    row = cast(OwnSession, parse_session(value))
    row["current"] = bool(cast(Mapping[str, object], value).get("current", False))
    return row


def parse_by(value: object) -> By | None:
    """The ``by`` details, or None when absent or malformed (they are a courtesy)."""
    if not isinstance(value, Mapping):
        return None
    name, ip, at = value.get("device_name"), value.get("ip"), value.get("at")
    if isinstance(name, str) and isinstance(ip, str) and isinstance(at, int | float):
        return By(device_name=name, ip=ip, at=float(at))
    return None


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
    by = parse_by(message.get("by")) if reason is EndReason.DISPLACED else None
    return Ending(reason, by)


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
    by = parse_by(body.get("by")) if reason is EndReason.DISPLACED else None
    return Ending(reason, by)


def is_hello(message: Mapping[str, object]) -> bool:
    return message.get("type") == MessageType.HELLO.value
