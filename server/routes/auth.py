"""POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me."""

from __future__ import annotations

import json as jsonlib
import logging
import math
import time

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.auth import Claims, new_jti
from server.errors import ApiError
from server.guard import authenticate
from server.routes.login_request import LoginRequest, parse_login
from server.sessions.base import SessionRecord, User
from server.state import State, client_ip, state
from shared import paths
from shared.errors import ErrorCode
from shared.reasons import EndReason

bp = Blueprint("auth")
log = logging.getLogger("loginguard.auth")


def _body(request: Request) -> object:
    try:
        return jsonlib.loads(request.body or b"")
    except ValueError:
        raise ApiError(400, ErrorCode.BAD_REQUEST, None, detail="body is not JSON") from None


async def _check_rate(st: State, keys: list[tuple[str, int]]) -> None:
    for key, limit in keys:
        count, reset_in = await st.store.peek(key)
        if count >= limit:
            retry = max(1, math.ceil(reset_in))
            st.metrics.logins.labels("rate_limited").inc()
            raise ApiError(
                429, ErrorCode.RATE_LIMITED, {"Retry-After": str(retry)}, retry_after=retry
            )


async def _verify_user(st: State, req: LoginRequest, ip: str) -> User:
    """The account if the password matches; counts failures per account and IP."""
    s = st.settings
    keys = [(f"user:{req.username}", s.max_failures_user), (f"ip:{ip}", s.max_failures_ip)]
    await _check_rate(st, keys)
    user = await st.store.get_user(req.username)
    ok, rehash = await st.passwords.verify(user.password_hash if user else None, req.password)
    if not ok or user is None:
        for key, _ in keys:
            await st.store.hit(key, s.failure_window)
        st.metrics.logins.labels("invalid_credentials").inc()
        log.info("event=login_failed user=%s ip=%s", req.username, ip)
        raise ApiError(401, ErrorCode.INVALID_CREDENTIALS)
    await st.store.clear(keys[0][0])
    if user.disabled:
        st.metrics.logins.labels("disabled").inc()
        raise ApiError(403, ErrorCode.ACCOUNT_DISABLED)
    if rehash:
        new_hash = await st.passwords.hash(req.password)
        await st.store.put_user(User(user.username, new_hash, user.role, user.disabled))
    return user


@bp.post(paths.LOGIN)
async def login(request: Request) -> HTTPResponse:
    started = time.perf_counter()
    st = state(request)
    s = st.settings
    req = parse_login(_body(request))
    ip = client_ip(request)
    await _verify_user(st, req, ip)
    now = st.store.clock()
    record = SessionRecord(
        user=req.username,
        jti=new_jti(),
        device_id=req.device_id,
        device_name=req.device_name,
        ip=ip,
        created_at=now,
        expires_at=float(int(now + s.token_ttl)),  # the JWT's exp is whole seconds
    )
    outcome = await st.store.login(
        record,
        policy=s.policy,
        max_sessions=s.max_sessions,
        takeover=req.takeover,
        idle_ttl=s.idle_ttl,
    )
    if outcome.admitted is None:
        st.metrics.logins.labels("session_active").inc()
        log.info("event=login_refused user=%s policy=%s", req.username, s.policy.value)
        raise ApiError(
            409,
            ErrorCode.SESSION_ACTIVE,
            None,
            policy=s.policy.value,
            sessions=[c.public() for c in outcome.conflicts],
        )
    token = st.tokens.issue(Claims(record.user, record.jti, now, record.expires_at))
    st.metrics.logins.labels("ok").inc()
    log.info(
        "event=session_created user=%s jti=%s device=%r ip=%s",
        record.user,
        record.jti[:8],
        record.device_name,
        ip,
    )
    for old in outcome.ended:
        st.metrics.displacements.inc()
        st.metrics.ended.labels(EndReason.DISPLACED.value).inc()
        log.info(
            "event=session_displaced user=%s jti=%s device=%r by_device=%r by_ip=%s",
            old.user,
            old.jti[:8],
            old.device_name,
            record.device_name,
            ip,
        )
    st.metrics.login_seconds.observe(time.perf_counter() - started)
    return json(
        {
            "access_token": token,
            "token_type": "bearer",
            "expires_at": record.expires_at,
            "session": record.public(),
            "displaced": [old.public() for old in outcome.ended],
        }
    )


@bp.post(paths.LOGOUT)
async def logout(request: Request) -> HTTPResponse:
    st = state(request)
    authed = await authenticate(request, st.tokens, st.store, st.settings.idle_ttl)
    ended = await st.store.end(authed.claims.user, authed.claims.jti, EndReason.LOGGED_OUT)
    if ended is not None:
        st.metrics.ended.labels(EndReason.LOGGED_OUT.value).inc()
        log.info("event=logout user=%s jti=%s", ended.user, ended.jti[:8])
    return empty()


@bp.get(paths.ME)
async def me(request: Request) -> HTTPResponse:
    st = state(request)
    authed = await authenticate(request, st.tokens, st.store, st.settings.idle_ttl)
    user = await st.store.get_user(authed.claims.user)
    role = user.role if user else "user"
    return json(
        {"user": {"username": authed.claims.user, "role": role}, "session": authed.session.public()}
    )
