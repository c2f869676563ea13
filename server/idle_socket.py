"""Hold an accepted WebSocket until it closes, at the least cost per socket.

Clients of ``/ws`` only listen, so a socket spends its life idle and the
worker's memory is mostly what each idle socket keeps. Sanic's reading side
(``ws.recv()``) would keep, per socket, a frame assembler (two events, a queue,
two locks: ~4.5 KB), a task waiting on it and an ``asyncio.wait`` around that;
:func:`adopt` puts a one-slot stand-in where the assembler was, which closes
the socket with 1008 on the first data frame, as the protocol says, and
:func:`hold` waits on the connection-lost future Sanic already has.

:func:`release` must run when the handler ends, however it ends, so that a
closed socket is freed at once, by reference counting, and never needs the
garbage collector (see ``server/collector.py``, which freezes long-lived
objects: a frozen cycle is never collected). Four cycles are broken: the
stand-in and the socket point at each other; Sanic's ``Http`` keeps a bound
method of itself after an upgrade; and Sanic's protocol and socket point at
each other, cut once Sanic's own closer is done with the connection, when the
websockets protocol also drops the parser error it kept (its traceback holds
the protocol: an RST leaves one). The
request-timeout timer Sanic arms at connect, and does not cancel for a
WebSocket, is cancelled then too: it kept every socket closed within 30 s of
its opening alive until it fired (20,000 dead sockets, 400 MB, at 650
reconnects a second).

:func:`close` is how the server ends a socket it holds: a close handshake
with a deadline. Sanic's ``close()`` sends the close frame and then waits for
the peer's, for ever; a PC that stopped reading (hung, asleep, behind a dead
NAT) never sends it, and the socket, its descriptor and its hub entry stayed
until the kernel gave up on the connection, hours later. After
``CLOSE_DEADLINE`` seconds the transport is aborted (an RST), which ends
:func:`hold` and lets the handler clean up.

A peer that does not read cannot make the worker queue without end either:
every frame it sends (a ping is enough) makes websockets queue an answer, and
Sanic starts a task per chunk read that waits for the full write buffer to
drain - 45 MB a second of tasks and pongs from one socket, seen. Adopted
sockets are of the class :class:`_Guarded`, whose ``data_received`` cuts a
connection whose write buffer is over ``WRITE_CAP``; :func:`stuck` lets the
server's own senders (heartbeat, session lists) see such a socket and not wait
on it.

Tied to Sanic's ``WebsocketImplProtocol`` internals (``assembler``,
``connection_lost_waiter``) of the versions pinned in ``pyproject.toml``;
``tests/server/test_ws.py`` and ``tests/server/test_socket_cycles.py`` fail
if a Sanic release moves them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

from sanic import Request, Websocket
from sanic.server.websockets.impl import WebsocketImplProtocol
from websockets.frames import Frame, Opcode

from shared.close_codes import CloseCode

_DATA = frozenset((Opcode.TEXT, Opcode.BINARY, Opcode.CONT))
CLOSE_DEADLINE = 5.0  # seconds a peer has to answer our close before its connection is cut
# Unsent bytes at which a peer counts as not reading: the server sends a few small
# messages in a socket's life, so this much unread is a hung or hostile peer.
WRITE_CAP = 64 * 1024

log = logging.getLogger("loginguard.socket")


class _RefuseData:
    """Stands in for Sanic's frame assembler: a data frame closes the socket (1008)."""

    __slots__ = ("ws",)

    def __init__(self, ws: Websocket | None) -> None:
        self.ws = ws

    async def put(self, frame: Frame) -> None:
        if frame.opcode not in _DATA:
            return  # a client's ping reaches here too; websockets has answered it
        ws, self.ws = self.ws, None
        if ws is not None:
            await close(ws, CloseCode.POLICY, "clients send no data frames")


class _Guarded(WebsocketImplProtocol):
    """Sanic's socket, cut when it sends while not reading what it is sent.

    Given to an adopted socket by ``__class__`` assignment: no state, no object
    per socket, no cycle.
    """

    def data_received(self, data: bytes) -> None:
        if stuck(self):
            cut(self)  # each frame would queue an answer behind the ones it never read
            return
        super().data_received(data)  # type: ignore[no-untyped-call]


def stuck(ws: Websocket) -> bool:
    """Whether the peer has left ``WRITE_CAP`` bytes or more unread (a send would wait)."""
    proto = ws.io_proto
    transport = proto.transport if proto is not None else None
    return transport is not None and transport.get_write_buffer_size() >= WRITE_CAP


def cut(ws: Websocket) -> None:
    """End the connection now (a TCP reset): ``hold`` returns and the handler cleans up."""
    proto = ws.io_proto
    transport = proto.transport if proto is not None else None
    if transport is not None:
        transport.abort()


def adopt(ws: Websocket) -> None:
    """Take over a socket just accepted: from now on a data frame closes it (1008)."""
    ws.__class__ = _Guarded
    ws.assembler = _RefuseData(ws)  # type: ignore[assignment]  # duck-typed: put() only
    closer = ws.auto_closer_task
    if closer is not None:
        closer.add_done_callback(partial(_unlink, ws))


async def hold(ws: Websocket) -> None:
    """Return once the connection is gone."""
    lost = ws.connection_lost_waiter
    if lost is not None:
        # Shielded: cancelling this handler (server shutdown) must not cancel
        # Sanic's own future, which it resolves later.
        await asyncio.shield(lost)


async def close(
    ws: Websocket,
    code: int,
    reason: str,
    *,
    first: str | None = None,
    on_abort: Callable[[], None] | None = None,
    deadline: float = CLOSE_DEADLINE,
) -> None:
    """Send ``first`` (if any), then close with ``code``; cut the connection at the deadline.

    Never raises: a peer that is already gone has nobody left to tell.
    ``on_abort`` runs if the deadline had to cut the connection.
    """
    # Armed before anything is awaited: a send stuck on a full buffer is cut too.
    # The timer holds the socket at most `deadline` more seconds, in no cycle.
    asyncio.get_running_loop().call_later(deadline, _abort_if_open, ws, on_abort)
    try:
        if first is not None:
            await ws.send(first)
        await ws.close(code, reason)
    except Exception:
        log.debug("event=close_failed code=%d", code)


def _abort_if_open(ws: Websocket, on_abort: Callable[[], None] | None) -> None:
    lost = ws.connection_lost_waiter
    if lost is not None and lost.done():
        return
    proto = ws.io_proto
    transport = proto.transport if proto is not None else None
    if transport is None or transport.is_closing():
        return  # Sanic has finished with it, or is closing it (and aborts at its own timeout)
    transport.abort()  # connection_lost follows: hold() returns, the handler cleans up
    if on_abort is not None:
        on_abort()


def release(request: Request, ws: Websocket) -> None:
    """Break the cycles a finished handler leaves, so reference counting frees them."""
    sink = ws.assembler
    if isinstance(sink, _RefuseData):
        sink.ws = None
    http = request.stream
    if http is not None and hasattr(http, "response_func"):
        http.response_func = None


def _unlink(ws: Websocket, closer: object) -> None:
    """Once Sanic has closed the connection: cut the socket from its protocol.

    The two point at each other (``protocol.websocket``, ``ws.io_proto``); Sanic
    reads ``ws.io_proto`` only while closing, and checks it for ``None``.
    """
    proto = ws.io_proto
    if proto is None:
        return
    timer = getattr(proto, "_callback_check_timeouts", None)
    if timer is not None:
        timer.cancel()
    ws.io_proto = None
    # The websockets protocol keeps the error that stopped its parser; its
    # traceback holds the parser's frame, which holds the protocol. The
    # connection is over: nobody will ask for it.
    ws.ws_proto.parser_exc = None
