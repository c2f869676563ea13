"""A peer that stops reading cannot keep its socket: every close has a deadline.

Sanic's ``close()`` waits for the peer's close frame for ever; a hung or asleep
PC never sends it. 500 such peers are told ``session_ended`` and sent a close;
within the deadline (``server.idle_socket.CLOSE_DEADLINE``) the server cuts them,
and its descriptors, sockets gauge and hub are back where they started.
"""

from __future__ import annotations

import asyncio
import os
import re

import httpx

from server.idle_socket import CLOSE_DEADLINE
from tests.support.churn import open_flooder, open_silent, ping_frame
from tests.support.clients import auth, login
from tests.support.polling import eventually
from tests.support.server import ServerProcess, login_body, timeout

PEERS = 500


def _descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _settled(pid: int) -> int:
    """The descriptor count once closed HTTP connections have been let go."""
    last, now = -1, _descriptors(pid)
    while now != last:
        await asyncio.sleep(0.3)
        last, now = now, _descriptors(pid)
    return now


def _metric(server: ServerProcess, name: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def _sessions(server: ServerProcess, count: int) -> list[str]:
    """``count`` sessions of user1, 50 logins in flight on one keep-alive pool."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

        async def one(i: int) -> str:
            r = await http.post("/api/auth/login", json=login_body("user1", f"PC-{i}"))
            assert r.status_code == 200, r.text
            return str(r.json()["access_token"])

        tokens: list[str] = []
        for first in range(0, count, 50):
            tokens += await asyncio.gather(*(one(i) for i in range(first, min(count, first + 50))))
        return tokens


async def test_peers_that_stop_reading_are_cut_at_the_close_deadline(
    start_server: object,
) -> None:
    # Pings every 5 minutes: here only the close deadline may drop a socket. The
    # failure limits count logins in flight as possible failures: room for 50.
    server: ServerProcess = start_server(  # type: ignore[operator]
        "--demo",
        *("--max-sessions", str(PEERS), "--ping-interval", "300"),
        *("--max-failures-user", "100", "--max-failures-ip", "100"),
    )
    assert server.proc is not None
    pid = server.proc.pid  # one worker: the server is the worker
    tokens = await _sessions(server, PEERS)
    before = await _settled(pid)
    peers = [await open_silent(server.port, token) for token in tokens]
    try:
        assert all(b'"hello"' in first for _, first in peers)
        assert _descriptors(pid) >= before + PEERS
        admin = (await asyncio.to_thread(login, server, "admin", "Console"))["access_token"]
        kicked = await asyncio.to_thread(
            httpx.delete, server.url + "/api/admin/users/user1/sessions", headers=auth(admin)
        )
        assert kicked.status_code == 200, kicked.text
        # Told, sent a close, never answered: cut once the deadline passes, not before.
        await asyncio.sleep(CLOSE_DEADLINE / 2)
        assert _descriptors(pid) >= before + PEERS // 2, "cut before the deadline"
        await eventually(
            lambda: _descriptors(pid) <= before + 5, CLOSE_DEADLINE + 5, "descriptors released", 0.2
        )
        assert await asyncio.to_thread(_metric, server, "loginguard_sockets") == 0
        aborted = await asyncio.to_thread(_metric, server, "loginguard_close_aborted_total")
        assert aborted == PEERS
    finally:
        for writer, _ in peers:
            writer.close()


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_a_peer_that_sends_but_never_reads_is_cut(start_server: object) -> None:
    """Pings from a peer that reads nothing queue pongs; the worker cuts it instead of
    queueing without end, and its heartbeat still drops other dead peers meanwhile."""
    server: ServerProcess = start_server(  # type: ignore[operator]
        "--demo", "--max-sessions", "3", "--ping-interval", "1"
    )
    assert server.proc is not None
    pid = server.proc.pid
    tokens = await _sessions(server, 2)
    frozen, _ = await open_silent(server.port, tokens[0])  # answers no ping
    flooder, first = await open_flooder(server.port, tokens[1])
    assert b'"hello"' in first
    rss_before = _rss_mib(pid)
    ping = ping_frame(b"x" * 125) * 100  # 100 pings a write
    sent, cut = 0, False
    ends = asyncio.get_running_loop().time() + timeout(20)
    try:
        # Far more pongs than the kernel's buffers hold (a few MB on loopback).
        while sent < 40_000_000 and asyncio.get_running_loop().time() < ends:
            flooder.write(ping)
            await asyncio.wait_for(flooder.drain(), timeout(10))
            sent += len(ping)
    except ConnectionError:
        cut = True
    try:
        assert cut, f"still connected after {sent} bytes of pings"
        assert _rss_mib(pid) - rss_before < 50, (rss_before, _rss_mib(pid))
        # The heartbeat was not held up behind the flooder: the frozen peer is dropped.
        await eventually(
            lambda: _metric(server, "loginguard_sockets") == 0, 10, "both sockets gone", 0.2
        )
    finally:
        for writer in (frozen, flooder):
            writer.close()
