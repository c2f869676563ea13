"""Displacement across server processes whose store is a Redis Cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.support.clients import auth, connected, login
from tests.support.redis_cluster import RedisCluster
from tests.support.server import ServerProcess

pytestmark = pytest.mark.redis


async def test_socket_on_one_node_is_displaced_by_login_on_another(
    start_server: Callable[..., ServerProcess], redis_cluster: RedisCluster, cluster_prefix: str
) -> None:
    """PC-1 holds its socket on node A; PC-2 signs in on node B; A pushes displaced, 4001."""
    # Each server knows one seed node of its own and discovers the rest.
    seed_a, seed_b = redis_cluster.ports[:2]
    node_a = start_server(
        "--demo", "--redis-url", redis_cluster.node_url(seed_a), "--redis-prefix", cluster_prefix
    )
    node_b = start_server(
        "--demo", "--redis-url", redis_cluster.node_url(seed_b), "--redis-prefix", cluster_prefix
    )
    pc1 = login(node_a, "user1", "PC-1")
    sock = await connected(node_a, pc1["access_token"])
    started = asyncio.get_running_loop().time()
    await asyncio.to_thread(login, node_b, "user1", "PC-2")
    message = await sock.next_message(wait=2)
    assert asyncio.get_running_loop().time() - started < 2
    assert message["type"] == "displaced"
    assert message["by"]["device_name"] == "PC-2"
    assert await sock.until_closed() == 4001
    # No broadcast channel: user1's own channel, on its slot's primary only, which
    # node A followed while it held the socket.
    assert sum(redis_cluster.subscribers(f"{cluster_prefix}:events").values()) == 0
    me = node_b.url + "/api/auth/me"
    r = await asyncio.to_thread(httpx.get, me, headers=auth(pc1["access_token"]))
    assert r.json()["error"] == "session_displaced"
