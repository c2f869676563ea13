"""Validation of the login body: every field checked, the first bad one named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import ApiError
from shared.errors import ErrorCode
from shared.usernames import RULE, valid_username


@dataclass(frozen=True, slots=True)
class LoginRequest:
    username: str
    password: str
    device_id: str
    device_name: str
    takeover: bool


def _text(body: dict[str, Any], field: str, max_len: int) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise ApiError(
            422,
            ErrorCode.VALIDATION_FAILED,
            None,
            field=field,
            detail=f"{field} must be a non-empty string of at most {max_len} characters",
        )
    return value


def parse_login(body: Any) -> LoginRequest:
    if not isinstance(body, dict):
        raise ApiError(400, ErrorCode.BAD_REQUEST, None, detail="body must be a JSON object")
    username = _text(body, "username", 64)
    if not valid_username(username):
        raise ApiError(422, ErrorCode.VALIDATION_FAILED, None, field="username", detail=RULE)
    takeover = body.get("takeover", False)
    if not isinstance(takeover, bool):
        raise ApiError(
            422, ErrorCode.VALIDATION_FAILED, None, field="takeover", detail="must be a boolean"
        )
    device_name = " ".join(_text(body, "device_name", 100).split())  # no control characters
    return LoginRequest(
        username=username,
        password=_text(body, "password", 1024),
        device_id=_text(body, "device_id", 64),
        device_name=device_name,
        takeover=takeover,
    )
