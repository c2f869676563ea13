"""Authenticate a request: Bearer JWT → claims → the session's state in the store."""

from __future__ import annotations

from dataclasses import dataclass

from sanic import Request

from server.auth import Claims, TokenExpired, TokenInvalid, Tokens
from server.errors import ApiError
from server.hub import ending_of
from server.sessions.base import SessionRecord, SessionStore
from shared.errors import ErrorCode
from shared.messages import By
from shared.reasons import ENDINGS, EndReason, end_message


@dataclass(frozen=True, slots=True)
class Authed:
    claims: Claims
    session: SessionRecord


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; tokens in URLs are ignored."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def ended_error(reason: EndReason, by: By | None = None) -> ApiError:
    """The 401 for an ended session: the socket message's details under its error code."""
    details = end_message(reason, by)
    extra = {k: v for k, v in details.items() if k != "type" and v is not None}
    return ApiError(401, ENDINGS[reason].error, None, **extra)


def verify(tokens: Tokens, token: str | None) -> Claims:
    """Claims of a well-formed, correctly signed, unexpired token; else ApiError 401."""
    if token is None:
        raise ApiError(401, ErrorCode.INVALID_TOKEN, {"WWW-Authenticate": "Bearer"})
    try:
        return tokens.verify(token)
    except TokenExpired:
        raise ended_error(EndReason.EXPIRED) from None
    except TokenInvalid:
        raise ApiError(401, ErrorCode.INVALID_TOKEN, {"WWW-Authenticate": "Bearer"}) from None


async def authenticate(
    request: Request, tokens: Tokens, store: SessionStore, idle_ttl: float
) -> Authed:
    """The caller's live session, its idle deadline refreshed; else ApiError 401."""
    claims = verify(tokens, bearer(request))
    status = await store.check(claims.user, claims.jti, touch_ttl=idle_ttl)
    ending = ending_of(status)
    if ending is not None:
        raise ended_error(*ending)
    assert isinstance(status, SessionRecord)
    return Authed(claims, status)
