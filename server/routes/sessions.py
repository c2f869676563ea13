"""The caller's own sessions: GET /api/sessions; DELETE one (/{id}) or all others (?others=true)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.errors import HttpError
from server.guard import authenticate
from server.state import client_ip, state
from shared import paths
from shared.errors import ErrorCode

bp = Blueprint("sessions")

_ID_MAX = 64  # ids are JTIs (32 characters); anything longer names no session


@bp.get(paths.SESSIONS)
async def my_sessions(request: Request) -> HTTPResponse:
    authed = await authenticate(request)
    sessions = await state(request).stores.sessions.sessions_of(authed.claims.user)
    me = authed.claims.jti
    rows = [{**s.public(own=s.jti == me), "current": s.jti == me} for s in sessions]
    return json({"sessions": rows})


@bp.delete(paths.SESSIONS)
async def end_other_sessions(request: Request) -> HTTPResponse:
    """Sign out every other PC of the account; this one stays."""
    authed = await authenticate(request)
    if request.args.getlist("others") != ["true"]:
        detail = "DELETE /api/sessions needs ?others=true: it ends every session but this one"
        raise HttpError(400, ErrorCode.BAD_REQUEST, detail=detail)
    await state(request).service.end_own(authed, client_ip(request), None)
    return empty()


@bp.delete(paths.SESSION.replace("{id}", "<session_id>"), unquote=True)
async def end_session(request: Request, session_id: str) -> HTTPResponse:
    """End one session of the caller's account: another PC's, or this one."""
    authed = await authenticate(request)
    ended = []
    if 0 < len(session_id) <= _ID_MAX:
        ended = await state(request).service.end_own(authed, client_ip(request), session_id)
    if not ended:
        raise HttpError(404, ErrorCode.NOT_FOUND, detail="no such session of this account")
    return empty()
