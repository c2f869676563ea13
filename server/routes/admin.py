"""Admin: list every live session (SCAN-paged), end all sessions of a user."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.core.results import Authenticated
from server.errors import ApiError
from server.guard import authenticate
from server.state import State, state
from shared import paths
from shared.errors import ErrorCode
from shared.reasons import EndReason

bp = Blueprint("admin")
_MAX_PAGE = 1000


async def _require_admin(request: Request, st: State) -> Authenticated:
    authed = await authenticate(request)
    user = await st.stores.accounts.get(authed.claims.user)
    if user is None or user.role != "admin" or user.disabled:
        raise ApiError(403, ErrorCode.FORBIDDEN)
    return authed


@bp.get(paths.ADMIN_SESSIONS)
async def all_sessions(request: Request) -> HTTPResponse:
    st = state(request)
    await _require_admin(request, st)
    cursor = request.args.get("cursor", "0")
    try:
        count = int(request.args.get("count", "100"))
    except ValueError:
        count = 0
    if not 1 <= count <= _MAX_PAGE:
        raise ApiError(422, ErrorCode.VALIDATION_FAILED, None, field="count")
    try:
        records, next_cursor = await st.stores.sessions.scan_sessions(cursor, count)
    except (ValueError, OverflowError):
        raise ApiError(422, ErrorCode.VALIDATION_FAILED, None, field="cursor") from None
    return json(
        {"sessions": [{**r.public(), "user": r.user} for r in records], "next_cursor": next_cursor}
    )


# shared/ spells parameters format-style; Sanic wants <name>.
@bp.delete(paths.ADMIN_USER_SESSIONS.replace("{username}", "<username>"))
async def kick(request: Request, username: str) -> HTTPResponse:
    st = state(request)
    admin = await _require_admin(request, st)
    if await st.stores.accounts.get(username) is None:
        raise ApiError(404, ErrorCode.NOT_FOUND)
    ended = await st.service.end_all(username, EndReason.ADMIN, by_admin=admin.claims.user)
    return json({"ended": [r.public() for r in ended]})
