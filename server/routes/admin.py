"""Admin: list every live session (SCAN-paged), end all sessions of a user, clear
the ping-pong guard of a user, page through the audit.

Query and path values are checked before a store sees them: a cursor longer
than 256 characters, with characters no engine issues, or with a number past
64 bits is 422 ``cursor``; ``count`` is 1-1000 in ASCII digits; a username
outside the shared rule is 422 ``username``.
"""

from __future__ import annotations

import re
import time

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, json

from server.core.results import Authenticated
from server.errors import HttpError
from server.guard import authenticate
from server.sessions.audit import parse_since
from server.state import WorkerState, state
from shared import paths
from shared.errors import ErrorCode
from shared.reasons import EndReason
from shared.usernames import RULE, valid_username

bp = Blueprint("admin")
_MAX_PAGE = 1000
_DIGITS = re.compile(r"[0-9]{1,4}")
# Either engine's cursor: base64url JSON (memory) or "<node>:<position>" (Redis).
_CURSOR = re.compile(r"[A-Za-z0-9_=:-]{1,256}")
_SCAN_MAX = 2**64 - 1  # a Redis SCAN position is an unsigned 64-bit number


def _looks_like_a_cursor(text: str) -> bool:
    """The shape check done before any store sees a cursor; the store judges the rest."""
    if not _CURSOR.fullmatch(text):
        return False
    return all(int(part) <= _SCAN_MAX for part in text.split(":") if part.isdigit())


async def _require_admin(request: Request, st: WorkerState) -> Authenticated:
    authed = await authenticate(request)
    user = await st.stores.accounts.get(authed.claims.user)
    if user is None or user.role != "admin" or user.disabled:
        raise HttpError(403, ErrorCode.FORBIDDEN)
    return authed


def _count(request: Request, default: int) -> int:
    """``count``: 1-1000 in ASCII digits, else 422 naming it."""
    raw_count = request.args.get("count", str(default))
    count = int(raw_count) if _DIGITS.fullmatch(raw_count) else 0
    if not 1 <= count <= _MAX_PAGE:
        raise HttpError(422, ErrorCode.VALIDATION_FAILED, None, field="count")
    return count


@bp.get(paths.ADMIN_AUDIT)
async def audit(request: Request) -> HTTPResponse:
    """A page of the audit, oldest first: the latest ``count`` without ``since``; with
    it, the entries after it (a ``next`` cursor, an id, a time or a duration back)."""
    st = state(request)
    await _require_admin(request, st)
    user = request.args.get("user") or None
    if user is not None and not valid_username(user):
        raise HttpError(422, ErrorCode.VALIDATION_FAILED, None, field="user", detail=RULE)
    raw_since = request.args.get("since") or None
    since: str | float | None = None
    if raw_since is not None:
        try:
            since = parse_since(raw_since, time.time())
        except ValueError as exc:
            raise HttpError(
                422, ErrorCode.VALIDATION_FAILED, None, field="since", detail=str(exc)
            ) from None
    page = await st.stores.audit.read(user, since, _count(request, 100))
    return json({"events": [e.public() for e in page.entries], "next": page.next})


@bp.get(paths.ADMIN_SESSIONS)
async def all_sessions(request: Request) -> HTTPResponse:
    st = state(request)
    await _require_admin(request, st)
    cursor = request.args.get("cursor", "0")
    if not _looks_like_a_cursor(cursor):
        raise HttpError(422, ErrorCode.VALIDATION_FAILED, None, field="cursor")
    count = _count(request, 100)
    try:
        records, next_cursor = await st.stores.sessions.scan_sessions(cursor, count)
    except (ValueError, OverflowError):
        # The store's own verdict on a cursor of the right shape that it never issued.
        raise HttpError(422, ErrorCode.VALIDATION_FAILED, None, field="cursor") from None
    return json(
        {"sessions": [{**r.public(), "user": r.user} for r in records], "next_cursor": next_cursor}
    )


# shared/ spells parameters format-style; Sanic wants <name>. unquote: a%40b.c is a@b.c.
async def _existing_user(request: Request, st: WorkerState, username: str) -> Authenticated:
    """The admin calling, once ``username`` is known to be a valid name of an account."""
    admin = await _require_admin(request, st)
    if not valid_username(username):
        raise HttpError(422, ErrorCode.VALIDATION_FAILED, None, field="username", detail=RULE)
    if await st.stores.accounts.get(username) is None:
        raise HttpError(404, ErrorCode.NOT_FOUND)
    return admin


@bp.delete(paths.ADMIN_USER_SESSIONS.replace("{username}", "<username>"), unquote=True)
async def kick(request: Request, username: str) -> HTTPResponse:
    st = state(request)
    admin = await _existing_user(request, st, username)
    ended = await st.service.end_all(username, EndReason.ADMIN, by_admin=admin.claims.user)
    return json({"ended": [r.public() for r in ended]})


@bp.delete(paths.ADMIN_USER_CONTEST.replace("{username}", "<username>"), unquote=True)
async def uncontest(request: Request, username: str) -> HTTPResponse:
    """204 when the account was contested (now it is not), 404 when it was not."""
    st = state(request)
    admin = await _existing_user(request, st, username)
    if not await st.service.uncontest(username, by_admin=admin.claims.user):
        raise HttpError(404, ErrorCode.NOT_FOUND, detail="the account is not contested")
    return empty()
