"""Validation of the login body: every field checked, the first bad one named.

A body nested deeper than :data:`MAX_DEPTH` is refused whole (400), whatever
field holds the nesting. Every text field must be valid Unicode: a lone
surrogate (the JSON escape ``"\\ud800"``) is refused with 422 naming the
field, so no later encode (argon2, Redis, the JSON response) can fail on it.

The device name is cleaned (:func:`shared.device_names.clean_device_name`)
before anything stores, shows or logs it; one with nothing visible left is
refused like an empty one. The device class (``desktop`` when absent) must be a
class token (:mod:`shared.device_classes`) that the server's ``--max-sessions``
allows; the 422 for one it does not allow lists those it does.
"""

from __future__ import annotations

from typing import Any

from server.core.results import LoginAttempt
from server.errors import HttpError
from server.sessions.limits import SessionLimits
from shared.device_classes import DEFAULT_CLASS, valid_device_class
from shared.device_classes import RULE as CLASS_RULE
from shared.device_names import MAX_LENGTH as DEVICE_NAME_MAX
from shared.device_names import clean_device_name
from shared.errors import ErrorCode
from shared.usernames import RULE, valid_username

#: Arrays/objects inside one another; the login body itself needs 1.
MAX_DEPTH = 32


def _text(body: dict[str, Any], field: str, max_len: int) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise HttpError(
            422,
            ErrorCode.VALIDATION_FAILED,
            None,
            field=field,
            detail=f"{field} must be a non-empty string of at most {max_len} characters",
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise HttpError(
                422,
                ErrorCode.VALIDATION_FAILED,
                None,
                field=field,
                detail=f"{field} is not valid Unicode text (lone surrogate)",
            ) from None
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """True if containers nest more than ``limit`` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def _device_class(body: dict[str, Any], limits: SessionLimits) -> str:
    """The login's device class: ``desktop`` when absent; 422 for a malformed one, or
    one the server's ``--max-sessions`` map neither names nor covers with ``*``."""
    value = body.get("device_class", DEFAULT_CLASS)
    if not isinstance(value, str) or not valid_device_class(value):
        raise HttpError(
            422, ErrorCode.VALIDATION_FAILED, None, field="device_class", detail=CLASS_RULE
        )
    if limits.limit_of(value) is None:
        allowed = list(limits.allowed())
        raise HttpError(
            422,
            ErrorCode.VALIDATION_FAILED,
            None,
            field="device_class",
            detail=f"unknown device class; this server allows {', '.join(allowed)}",
            allowed=allowed,
        )
    return value


def parse_login(body: Any, ip: str, limits: SessionLimits) -> LoginAttempt:
    """The service's login attempt from a decoded JSON body and the client's address;
    ``limits`` (``--max-sessions``) say which device classes are allowed."""
    if not isinstance(body, dict):
        raise HttpError(400, ErrorCode.BAD_REQUEST, None, detail="body must be a JSON object")
    if _deeper_than(body, MAX_DEPTH):
        raise HttpError(
            400, ErrorCode.BAD_REQUEST, None, detail=f"body nests deeper than {MAX_DEPTH} levels"
        )
    username = _text(body, "username", 64)
    if not valid_username(username):
        raise HttpError(422, ErrorCode.VALIDATION_FAILED, None, field="username", detail=RULE)
    device_class = _device_class(body, limits)
    takeover = body.get("takeover", False)
    if not isinstance(takeover, bool):
        raise HttpError(
            422, ErrorCode.VALIDATION_FAILED, None, field="takeover", detail="must be a boolean"
        )
    # Room for invisible characters that cleaning drops; the cleaned name is cut.
    device_name = clean_device_name(_text(body, "device_name", 4 * DEVICE_NAME_MAX))
    if not device_name:
        raise HttpError(
            422,
            ErrorCode.VALIDATION_FAILED,
            None,
            field="device_name",
            detail="device_name has no visible characters",
        )
    return LoginAttempt(
        username=username,
        password=_text(body, "password", 1024),
        device_id=_text(body, "device_id", 64),
        device_name=device_name,
        takeover=takeover,
        ip=ip,
        device_class=device_class,
    )
