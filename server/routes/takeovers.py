"""POST /api/takeover-requests/{id}: the asked PC's answer to a takeover request (policy ask)."""

from __future__ import annotations

import json as jsonlib

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from server.errors import HttpError
from server.guard import authenticate
from server.state import state
from shared import paths
from shared.errors import ErrorCode

bp = Blueprint("takeovers")

_ID_MAX = 64  # request ids are 22 characters; anything longer names no request


def _allow(request: Request) -> bool:
    try:
        body = jsonlib.loads(request.body or b"")
    except ValueError:
        raise HttpError(400, ErrorCode.BAD_REQUEST, detail="body is not JSON") from None
    allow = body.get("allow") if isinstance(body, dict) else None
    if not isinstance(allow, bool):
        detail = 'the body must be {"allow": true} or {"allow": false}'
        raise HttpError(422, ErrorCode.VALIDATION_FAILED, field="allow", detail=detail)
    return allow


@bp.post(paths.TAKEOVER_REQUEST.replace("{id}", "<request_id>"), unquote=True)
async def answer(request: Request, request_id: str) -> HTTPResponse:
    """Allow or deny another PC's takeover of this account; the first answer wins."""
    authed = await authenticate(request)
    allow = _allow(request)
    if not 0 < len(request_id) <= _ID_MAX:
        raise HttpError(404, ErrorCode.NOT_FOUND, detail="no such takeover request")
    kind, outcome = await state(request).service.answer_takeover(authed, request_id, allow)
    if kind == "not_found":
        raise HttpError(404, ErrorCode.NOT_FOUND, detail="no such takeover request")
    if kind == "not_asked":
        raise HttpError(403, ErrorCode.FORBIDDEN, detail="this session was not asked")
    assert outcome is not None
    if kind == "closed":
        raise HttpError(409, ErrorCode.TAKEOVER_CLOSED, outcome=outcome.value)
    return json({"id": request_id, "outcome": outcome.value})
