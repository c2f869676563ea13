"""GET /ws: the session channel.

Before the handshake (Sanic upgrades before the handler runs), two checks
bound to the route (``ctx_handshake_checks``), not to a path string, so they
hold however the path is spelled (``/ws/``, ``/ws//``, absolute form): a
browser's ``Origin`` must be on the allowlist (403; requests without one, like
the desktop app's, pass), and every header value must be one the websockets
library accepts (400, instead of the 500 its refusal would become).

The socket is accepted even when the token is no longer good, so that the
client learns *why* (message + terminal close code) instead of seeing a bare
handshake failure it would retry forever. Clients send no data frames; an
accepted socket is held by :mod:`server.idle_socket` until it closes.
"""

from __future__ import annotations

import json
import logging

from sanic import Blueprint, Request, Websocket
from sanic.response import HTTPResponse
from websockets.datastructures import Headers as WSHeaders
from websockets.exceptions import ConnectionClosed, InvalidHeaderValue

from server.core.results import SessionOver
from server.errors import error_json
from server.guard import bearer
from server.hub import send_ending
from server.idle_socket import adopt, close, hold, release
from server.sessions.records import StoreUnavailable
from server.state import state
from shared import paths
from shared.close_codes import CloseCode
from shared.errors import ErrorCode
from shared.messages import MessageType

bp = Blueprint("ws")
log = logging.getLogger("loginguard.ws")


@bp.on_request
async def before_handshake(request: Request) -> HTTPResponse | None:
    """Refuse, with a JSON status, a handshake the socket must not be opened for."""
    route = request.route
    if route is None or not getattr(route.ctx, "handshake_checks", False):
        return None
    try:
        WSHeaders(request.headers)  # what Sanic hands websockets to accept
    except InvalidHeaderValue:
        return error_json(400, ErrorCode.BAD_REQUEST, detail="header value not allowed")
    # Browsers send Origin; a page from anywhere else must not ride a user's socket.
    origin = request.headers.get("origin")
    if origin is not None and origin not in state(request).settings.allowed_origins:
        return error_json(403, ErrorCode.FORBIDDEN, detail="origin not allowed")
    return None


async def channel(request: Request, ws: Websocket) -> None:
    adopt(ws)
    try:
        await _serve(request, ws)
    finally:
        release(request, ws)


async def _serve(request: Request, ws: Websocket) -> None:
    st = state(request)
    claims = st.service.claims_of(bearer(request))
    if isinstance(claims, SessionOver):
        await send_ending(ws, claims.reason, claims.by)
        return
    # Register (and have the user's events heard) before checking: an event
    # published after that reaches the hub, and anything published before it is
    # already visible to the check.
    st.hub.add(claims.user, claims.jti, ws, claims.expires_at)
    try:
        if not await st.hub.heard(claims.user):  # its shard of the store does not answer
            await close(ws, CloseCode.TRY_AGAIN, "session store unavailable")
            return
        session = st.hub.fresh(claims.jti)  # admitted here a moment ago: nothing to ask
        if session is None:
            try:
                result = await st.service.check(claims, present=True)
            except StoreUnavailable:
                await close(ws, CloseCode.TRY_AGAIN, "session store unavailable")
                return
            if isinstance(result, SessionOver):
                await send_ending(ws, result.reason, result.by)
                return
            session = result.session
        hello = {
            "type": MessageType.HELLO.value,
            "session": session.public(),
            "heartbeat": st.settings.ping_interval,
        }
        await ws.send(json.dumps(hello))
        await st.hub.show_pending(claims.user, claims.jti, ws)  # policy ask
        await hold(ws)
    except ConnectionClosed:
        pass
    finally:
        st.hub.discard(claims.jti, ws)


bp.add_websocket_route(channel, paths.WS, ctx_handshake_checks=True)
