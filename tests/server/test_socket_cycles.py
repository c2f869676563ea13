"""Closed sockets leave no reference cycles, so freezing long-lived objects leaks nothing.

``server/collector.py`` freezes whatever survives a second; a frozen object that
later dies inside a reference cycle is never collected. These tests hold real
sockets long enough to be frozen, end them every way a socket ends, and count
what the collector would have had to find (``tests/support/gc_probe.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from tests.support.clients import Socket, auth, connected, login
from tests.support.server import ServerProcess, timeout

SOCKETS = 30


@pytest.fixture
def probe() -> Iterator[ServerProcess]:
    args = ["--demo", "--max-sessions", "100", "--ping-interval", "0.5"]
    server = ServerProcess(args, module="tests.support.gc_probe").start()
    yield server
    server.stop()


def _open_sockets(server: ServerProcess) -> list[str]:
    return [login(server, device=f"PC-{i}")["access_token"] for i in range(SOCKETS)]


async def _sockets_gauge(server: ServerProcess) -> float:
    text = (await asyncio.to_thread(httpx.get, server.url + "/metrics")).text
    line = next(x for x in text.splitlines() if x.startswith("loginguard_sockets "))
    return float(line.split()[1])


async def _until_no_sockets(server: ServerProcess) -> None:
    deadline = asyncio.get_running_loop().time() + timeout(15)
    while await _sockets_gauge(server) > 0:
        assert asyncio.get_running_loop().time() < deadline, "sockets were never closed"
        await asyncio.sleep(0.1)


async def _client_closes(server: ServerProcess, socks: list[Socket], _: list[str]) -> None:
    await asyncio.gather(*(s.conn.close() for s in socks))


async def _client_drops(server: ServerProcess, socks: list[Socket], _: list[str]) -> None:
    for s in socks:
        s.conn.transport.abort()  # a crashed PC: no close frame, an RST


async def _displaced(server: ServerProcess, socks: list[Socket], _: list[str]) -> None:
    for i in range(SOCKETS):
        await asyncio.to_thread(login, server, device=f"PC-{i}")  # same device id: takeover
    await asyncio.gather(*(s.until_closed() for s in socks))


async def _logged_out(server: ServerProcess, socks: list[Socket], tokens: list[str]) -> None:
    for token in tokens:
        url = server.url + "/api/auth/logout"
        await asyncio.to_thread(httpx.post, url, headers=auth(token))
    await asyncio.gather(*(s.until_closed() for s in socks))


async def _data_frame(server: ServerProcess, socks: list[Socket], _: list[str]) -> None:
    for s in socks:
        await s.conn.send("hello?")
    assert {await s.until_closed() for s in socks} == {1008}


async def _silent_peer(server: ServerProcess, socks: list[Socket], _: list[str]) -> None:
    for s in socks:
        s.conn.transport.pause_reading()  # never reads a ping again: dropped by the heartbeat


Ending = Callable[[ServerProcess, list[Socket], list[str]], Awaitable[None]]


@pytest.mark.parametrize(
    "ending",
    [_client_closes, _client_drops, _displaced, _logged_out, _data_frame, _silent_peer],
    ids=["client-close", "client-drop", "displaced", "logged-out", "data-frame", "silent-peer"],
)
async def test_ended_sockets_leave_no_cycles(probe: ServerProcess, ending: Ending) -> None:
    """Sockets held past a freeze and then ended leave nothing for the collector to find."""
    tokens = await asyncio.to_thread(_open_sockets, probe)
    socks = [await connected(probe, t) for t in tokens]
    await asyncio.sleep(timeout(2.5))  # past two settles: these sockets are frozen now
    r = await asyncio.to_thread(httpx.post, probe.url + "/_probe/gc/mark")
    assert r.json()["frozen"] > 0
    try:
        await ending(probe, socks, tokens)
        await _until_no_sockets(probe)
    finally:
        for s in socks:
            s.conn.transport.abort()
    await asyncio.sleep(timeout(1.5))  # Sanic's closer finishes after the handler
    found = (await asyncio.to_thread(httpx.get, probe.url + "/_probe/gc/count")).json()
    # A cycle left per socket would show as SOCKETS x (tens of objects).
    assert found["objects"] < SOCKETS, found["types"]


async def test_ended_keep_alive_connections_leave_no_cycles(probe: ServerProcess) -> None:
    """Keep-alive HTTP connections held past a freeze and then closed leave no cycles."""
    token = login(probe)["access_token"]
    clients = [httpx.AsyncClient(base_url=probe.url) for _ in range(SOCKETS)]
    for c in clients:
        assert (await c.get("/api/auth/me", headers=auth(token))).status_code == 200
    await asyncio.sleep(timeout(2.5))
    await asyncio.to_thread(httpx.post, probe.url + "/_probe/gc/mark")
    for c in clients:
        await c.aclose()
    await asyncio.sleep(timeout(1.5))
    found = (await asyncio.to_thread(httpx.get, probe.url + "/_probe/gc/count")).json()
    assert found["objects"] < SOCKETS, found["types"]
