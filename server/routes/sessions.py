"""GET /api/sessions: the caller's own live sessions."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.guard import authenticate
from server.state import state
from shared import paths

bp = Blueprint("sessions")


@bp.get(paths.SESSIONS)
async def my_sessions(request: Request) -> HTTPResponse:
    authed = await authenticate(request)
    sessions = await state(request).stores.sessions.sessions_of(authed.claims.user)
    return json(
        {"sessions": [{**s.public(), "current": s.jti == authed.claims.jti} for s in sessions]}
    )
