"""HTTP edge of authentication: Bearer header in, the service's answer out as 200 or 401."""

from __future__ import annotations

from sanic import Request

from server.core.results import Authenticated, SessionOver
from server.errors import HttpError
from server.state import state
from shared.errors import ErrorCode
from shared.reasons import ENDINGS, EndReason, end_message


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; tokens in URLs are ignored."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or not token.isascii():
        return None  # a JWT is ASCII; anything else is no token at all
    return token.strip()


def ended_error(over: SessionOver) -> HttpError:
    """The 401 for a session that is over: the socket message's details under its error code."""
    if over.reason is EndReason.INVALID:
        return HttpError(401, ErrorCode.INVALID_TOKEN, {"WWW-Authenticate": "Bearer"})
    details = end_message(over.reason, over.by)
    extra = {k: v for k, v in details.items() if k != "type" and v is not None}
    return HttpError(401, ENDINGS[over.reason].error, None, **extra)


async def authenticate(request: Request) -> Authenticated:
    """The caller's live session, its idle deadline refreshed; else HttpError 401."""
    result = await state(request).service.authenticate(bearer(request))
    if isinstance(result, SessionOver):
        raise ended_error(result)
    return result
