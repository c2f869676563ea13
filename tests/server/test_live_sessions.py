"""Every socket of an account is told its account's sessions whenever they change.

On the embedded store and on Redis with two workers: a login that leaves other
sessions live, an ending, and an idle expiry (which nobody announces) each bring
every remaining socket of the account a ``sessions`` message with the whole list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.clients import Socket, auth, connected, login
from tests.support.server import REDIS_TEST_URL, ServerProcess


@pytest.fixture(params=["memory", "redis"])
def start(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess], redis_prefix: str
) -> Callable[..., ServerProcess]:
    def run(*extra: str) -> ServerProcess:
        args = ["--demo", "--max-sessions", "3", *extra]
        if request.param == "redis":
            args += ["--workers", "2", "--redis-url", REDIS_TEST_URL]
            args += ["--redis-prefix", redis_prefix]
        return start_server(*args)

    return run


async def _next_list(sock: Socket, wait: float = 5.0) -> list[dict[str, Any]]:
    message = await sock.next_message(wait)
    assert message["type"] == "sessions", message
    return list(message["sessions"])


def _names(rows: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    return sorted((row["device_name"], row["current"]) for row in rows)


async def test_logins_and_endings_update_every_socket(start: Callable[..., ServerProcess]) -> None:
    server = start()
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    sock1 = await connected(server, pc1["access_token"])
    pc2 = await asyncio.to_thread(login, server, "user1", "PC-2")
    assert _names(await _next_list(sock1)) == [("PC-1", True), ("PC-2", False)]
    sock2 = await connected(server, pc2["access_token"])
    await asyncio.to_thread(login, server, "user1", "PC-3")
    for sock, me in ((sock1, "PC-1"), (sock2, "PC-2")):
        rows = _names(await _next_list(sock))
        assert rows == sorted((n, n == me) for n in ("PC-1", "PC-2", "PC-3"))
    r = await asyncio.to_thread(
        httpx.delete,
        server.url + f"/api/sessions/{pc2['session']['id']}",
        headers=auth(pc1["access_token"]),
    )
    assert r.status_code == 204
    assert (await sock2.next_message())["type"] == "logged_out"
    assert _names(await _next_list(sock1)) == [("PC-1", True), ("PC-3", False)]
    # Another account's changes say nothing to this one.
    await asyncio.to_thread(login, server, "user2", "PC-9")
    await asyncio.to_thread(login, server, "user2", "PC-8")
    with pytest.raises(TimeoutError):
        await sock1.next_message(wait=1.0)
    await sock1.conn.close()


async def test_an_idle_expiry_is_told_too(start: Callable[..., ServerProcess]) -> None:
    server = start("--idle-ttl", "3", "--recheck-interval", "1")
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    sock1 = await connected(server, pc1["access_token"])
    await asyncio.to_thread(login, server, "user1", "PC-2")  # never connects: idles out
    assert _names(await _next_list(sock1)) == [("PC-1", True), ("PC-2", False)]
    assert _names(await _next_list(sock1, wait=10)) == [("PC-1", True)]
    await sock1.conn.close()


async def test_a_lone_session_gets_no_lists(start: Callable[..., ServerProcess]) -> None:
    server = start()
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    sock1 = await connected(server, pc1["access_token"])
    await asyncio.to_thread(login, server, "user2", "PC-2")
    with pytest.raises(TimeoutError):
        await sock1.next_message(wait=1.0)
    await sock1.conn.close()
