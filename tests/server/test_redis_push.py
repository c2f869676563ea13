"""Displacement across processes: workers and nodes share one Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import redis

from tests.support.clients import auth, connected, login
from tests.support.server import REDIS_TEST_URL, ServerProcess


def _node(start: Callable[..., ServerProcess], prefix: str, *extra: str) -> ServerProcess:
    return start("--demo", "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix, *extra)


async def test_socket_on_one_node_is_displaced_by_login_on_another(
    start_server: Callable[..., ServerProcess], redis_prefix: str
) -> None:
    """PC-1 holds its socket on node A; PC-2 signs in on node B; A pushes displaced, 4001."""
    node_a = _node(start_server, redis_prefix)
    node_b = _node(start_server, redis_prefix)
    pc1 = login(node_a, "user1", "PC-1")
    sock = await connected(node_a, pc1["access_token"])
    started = asyncio.get_running_loop().time()
    await asyncio.to_thread(login, node_b, "user1", "PC-2")
    message = await sock.next_message(wait=2)
    assert asyncio.get_running_loop().time() - started < 2
    assert message["type"] == "displaced"
    assert message["by"]["device_name"] == "PC-2"
    assert await sock.until_closed() == 4001
    me = node_b.url + "/api/auth/me"
    r = await asyncio.to_thread(httpx.get, me, headers=auth(pc1["access_token"]))
    assert r.json()["error"] == "session_displaced"


async def test_two_workers_push_whichever_worker_holds_the_socket(
    redis_server: ServerProcess,
) -> None:
    """On a two-worker server every displaced socket gets its message, round after round."""
    for round_ in range(6):
        # Three accounts in turn: one account kicked back and forth 11 times in a few
        # seconds would be held back by the ping-pong guard (test_contest.py).
        user = f"user{round_ % 3 + 1}"
        pc1 = login(redis_server, user, f"PC-1-{round_}")
        sock = await connected(redis_server, pc1["access_token"])
        await asyncio.to_thread(login, redis_server, user, f"PC-2-{round_}")
        message = await sock.next_message(wait=2)
        assert message["by"]["device_name"] == f"PC-2-{round_}"
        assert await sock.until_closed() == 4001


async def test_sweeper_closes_a_socket_whose_session_vanished(
    start_server: Callable[..., ServerProcess], redis_prefix: str
) -> None:
    """Pub/sub is not relied on: a session gone without an event is found by the sweep (4005)."""
    node = _node(start_server, redis_prefix, "--recheck-interval", "0.5")
    token = login(node, "user2", "PC-1")["access_token"]
    sock = await connected(node, token)
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        keys = [k for k in client.scan_iter(match=f"{redis_prefix}:{{u:user2}}:*")]
        doomed = [k for k in keys if not k.endswith(b":user")]
        assert doomed
        client.delete(*doomed)  # as if the store lost it, and the event with it
    finally:
        client.close()
    assert await sock.next_message(wait=3) == {"type": "reset"}
    assert await sock.until_closed() == 4005
