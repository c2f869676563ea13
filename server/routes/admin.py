"""Admin: list every live session (SCAN-paged), end all sessions of a user."""

from __future__ import annotations

import logging

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.errors import ApiError
from server.guard import Authed, authenticate
from server.state import State, state
from shared import paths
from shared.errors import ErrorCode
from shared.reasons import EndReason
from shared.usernames import RULE, valid_username

bp = Blueprint("admin")
log = logging.getLogger("loginguard.admin")
_MAX_PAGE = 1000


async def _require_admin(request: Request, st: State) -> Authed:
    authed = await authenticate(request, st.tokens, st.store, st.settings.idle_ttl)
    user = await st.store.get_user(authed.claims.user)
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
        records, next_cursor = await st.store.scan_sessions(cursor, count)
    except ValueError:
        raise ApiError(422, ErrorCode.VALIDATION_FAILED, None, field="cursor") from None
    return json(
        {"sessions": [{**r.public(), "user": r.user} for r in records], "next_cursor": next_cursor}
    )


# shared/ spells parameters format-style; Sanic wants <name>. unquote: a%40b.c is a@b.c.
@bp.delete(paths.ADMIN_USER_SESSIONS.replace("{username}", "<username>"), unquote=True)
async def kick(request: Request, username: str) -> HTTPResponse:
    st = state(request)
    admin = await _require_admin(request, st)
    if not valid_username(username):
        raise ApiError(422, ErrorCode.VALIDATION_FAILED, None, field="username", detail=RULE)
    if await st.store.get_user(username) is None:
        raise ApiError(404, ErrorCode.NOT_FOUND)
    ended = await st.store.end_all(username, EndReason.ADMIN)
    st.metrics.ended.labels(EndReason.ADMIN.value).inc(len(ended))
    log.info("event=kick user=%s sessions=%d by=%s", username, len(ended), admin.claims.user)
    return json({"ended": [r.public() for r in ended]})
