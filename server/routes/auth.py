"""POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me: HTTP shells of the service."""

from __future__ import annotations

import json as jsonlib
import math

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.core.results import (
    AccountDisabled,
    Admitted,
    BadCredentials,
    Contested,
    LoginResult,
    RateLimited,
    TakeoverBusy,
    TakeoverRefused,
)
from server.errors import HttpError
from server.guard import authenticate
from server.routes.login_request import parse_login
from server.sessions.contest import retry_seconds
from server.state import client_ip, state
from shared import paths
from shared.errors import ErrorCode
from shared.reasons import EndReason

bp = Blueprint("auth")


def _body(request: Request) -> object:
    try:
        return jsonlib.loads(request.body or b"")
    except ValueError:
        raise HttpError(400, ErrorCode.BAD_REQUEST, None, detail="body is not JSON") from None


def _response(result: LoginResult) -> HTTPResponse:
    if isinstance(result, Admitted):
        record = result.session
        return json(
            {
                "access_token": result.token,
                "token_type": "bearer",
                "expires_at": record.expires_at,
                "session": record.public(),
                "displaced": [old.public(own=False) for old in result.displaced],
            }
        )
    if isinstance(result, RateLimited):
        retry = max(1, math.ceil(result.retry_after))
        raise HttpError(429, ErrorCode.RATE_LIMITED, {"Retry-After": str(retry)}, retry_after=retry)
    if isinstance(result, Contested):
        retry = retry_seconds(result.retry_after)
        headers = {"Retry-After": str(retry)}
        raise HttpError(429, ErrorCode.ACCOUNT_CONTESTED, headers, retry_after=retry)
    if isinstance(result, TakeoverRefused):
        raise HttpError(409, ErrorCode.TAKEOVER_DENIED, outcome=result.outcome.value)
    if isinstance(result, TakeoverBusy):
        retry = max(1, math.ceil(result.retry_after))
        headers = {"Retry-After": str(retry)}
        raise HttpError(409, ErrorCode.TAKEOVER_PENDING, headers, retry_after=retry)
    if isinstance(result, BadCredentials):
        raise HttpError(401, ErrorCode.INVALID_CREDENTIALS)
    if isinstance(result, AccountDisabled):
        raise HttpError(403, ErrorCode.ACCOUNT_DISABLED)
    raise HttpError(
        409,
        ErrorCode.SESSION_ACTIVE,
        None,
        policy=result.policy.value,
        sessions=[c.public(own=False) for c in result.conflicts],
    )


@bp.post(paths.LOGIN)
async def login(request: Request) -> HTTPResponse:
    st = state(request)
    attempt = parse_login(_body(request), client_ip(request), st.settings.max_sessions)
    result = await st.service.login(attempt)
    if isinstance(result, Admitted):
        st.hub.admitted(result.session)
    return _response(result)


@bp.get(paths.POLICY)
async def policy(request: Request) -> HTTPResponse:
    """The login policy, so that a client can tell a login waiting for another PC's answer
    (policy ask, up to ask_timeout seconds) from a slow one. Public: it says no more
    than the 409 of any refused login."""
    s = state(request).settings
    return json({"policy": s.policy.value, "ask_timeout": math.ceil(s.ask_timeout)})


@bp.post(paths.LOGOUT)
async def logout(request: Request) -> HTTPResponse:
    authed = await authenticate(request)
    await state(request).service.end(authed.claims.user, authed.claims.jti, EndReason.LOGGED_OUT)
    return empty()


@bp.get(paths.ME)
async def me(request: Request) -> HTTPResponse:
    authed = await authenticate(request)
    account = await state(request).stores.accounts.get(authed.claims.user)
    role = account.role if account else "user"
    return json(
        {"user": {"username": authed.claims.user, "role": role}, "session": authed.session.public()}
    )
