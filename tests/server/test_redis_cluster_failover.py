"""A primary of a Redis Cluster dies and its replica takes over: only its accounts wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from server.sessions.keys import Keys
from tests.support.clients import Socket, auth, connected
from tests.support.redis_cluster import RedisCluster
from tests.support.server import ServerProcess, login_body, new_prefix, timeout

pytestmark = pytest.mark.redis

PUSH_WITHIN = 2.0  # seconds from a displacing login's answer to the old socket's message
PASSWORD = "failover-pass-1"


def _post_login(server: ServerProcess, user: str, device: str) -> httpx.Response:
    body = {**login_body(user, device), "password": PASSWORD}
    return httpx.post(server.url + "/api/auth/login", json=body, timeout=timeout(10))


async def _login(server: ServerProcess, user: str, device: str) -> Any:
    r = await asyncio.to_thread(_post_login, server, user, device)
    assert r.status_code == 200, r.text
    return r.json()


async def _displaced_in_time(server: ServerProcess, user: str, sock: Socket, device: str) -> None:
    """A login of ``user`` from ``device`` pushes ``displaced`` to ``sock`` within PUSH_WITHIN."""
    loop = asyncio.get_running_loop()
    await _login(server, user, device)
    answered = loop.time()
    message = await sock.next_message(wait=PUSH_WITHIN + 3)
    late = loop.time() - answered
    assert message["type"] == "displaced", message
    assert message["by"]["device_name"] == device
    assert late < PUSH_WITHIN, f"{user}: displaced arrived {late:.2f} s after the login"
    assert await sock.until_closed() == 4001


async def _resubscribed(cluster: RedisCluster, channels: list[str], alive: list[int]) -> None:
    async with asyncio.timeout(timeout(10)):
        while True:
            if all(sum(cluster.shard_subscribers(c, alive).values()) for c in channels):
                return
            await asyncio.sleep(0.05)


async def test_a_dead_primary_stops_only_its_own_accounts_until_its_replica_takes_over(
    start_server: Callable[..., ServerProcess], failover_cluster: RedisCluster
) -> None:
    """With the primary holding the client's IP bucket down and the server's subscription
    lost, accounts on the other shards log in and are displaced in real time, the dead
    shard's accounts get 503 and keep their sockets, and all of it works once its
    replica has taken over."""
    cluster = failover_cluster
    prefix = new_prefix()
    keys = Keys(prefix)
    # The worst shard to lose: it holds the IP bucket every test login reads.
    dead = cluster.port_of_key(keys.ip_bucket("127.0.0.1"))
    alive = [port for port in cluster.ports if port != dead]
    healthy: list[str] = []
    for port in cluster.primaries():
        if port != dead:
            healthy += cluster.users_on(prefix, port, 3)
    doomed = cluster.users_on(prefix, dead, 3)
    await cluster.add_accounts(prefix, [*healthy, *doomed], PASSWORD)
    server = start_server("--redis-url", cluster.url, "--redis-prefix", prefix)
    sockets: dict[str, Socket] = {}
    tokens: dict[str, str] = {}
    for user in [*healthy, *doomed]:
        tokens[user] = (await _login(server, user, "PC-1"))["access_token"]
        sockets[user] = await connected(server, tokens[user])

    replica = cluster.replica_of(dead)
    cluster.hold_failover(replica)  # the outage lasts until this test lets it end
    cluster.wait_replicated(dead)
    cluster.kill(dead)
    # The live shards' subscriptions are cut too: they must come back and resync while
    # one shard is down.
    cluster.drop_subscribers(alive)
    await _resubscribed(cluster, [keys.events(user) for user in healthy], alive)

    for i, user in enumerate(healthy):
        await _displaced_in_time(server, user, sockets[user], f"PC-2-{i}")
    for user in doomed:
        r = await asyncio.to_thread(_post_login, server, user, "PC-2")
        assert (r.status_code, r.json()["error"]) == (503, "store_unavailable"), r.text
        me = await asyncio.to_thread(
            httpx.get, server.url + "/api/auth/me", headers=auth(tokens[user]), timeout=timeout(10)
        )
        assert (me.status_code, me.json()["error"]) == (503, "store_unavailable")
        # Not closed as if its session had ended: nothing is known about it.
        assert sockets[user].conn.close_code is None
    # Ready, if degraded: every node is as affected, so none may be taken out for it.
    ready = await asyncio.to_thread(httpx.get, server.url + "/readyz", timeout=timeout(10))
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "degraded", "store": "redis", "unreachable_primaries": 1}
    # The healthy accounts' logins went on without the per-IP limit, and said so.
    metrics = await asyncio.to_thread(httpx.get, server.url + "/metrics", timeout=timeout(10))
    assert f'loginguard_rate_limit_degraded_total{{limit="ip"}} {len(healthy)}.0' in metrics.text

    cluster.hold_failover(replica, held=False)
    cluster.wait_promoted(dead)
    user = doomed[0]
    async with asyncio.timeout(timeout(15)):
        while (r := await asyncio.to_thread(_post_login, server, user, "PC-3")).status_code != 200:
            assert r.status_code == 503, r.text
            await asyncio.sleep(0.2)
    message = await sockets[user].next_message(wait=PUSH_WITHIN + 3)
    assert (message["type"], message["by"]["device_name"]) == ("displaced", "PC-3")
    for i, user in enumerate(doomed[1:]):
        await _displaced_in_time(server, user, sockets[user], f"PC-4-{i}")
    ready = await asyncio.to_thread(httpx.get, server.url + "/readyz", timeout=timeout(10))
    assert ready.json()["status"] == "ready", ready.text
    log = await asyncio.to_thread(server.log_with, "event=rate_limit_restored limit=ip")
    assert log.count("event=rate_limit_degraded limit=ip") == 1, log
    assert log.count("event=rate_limit_restored limit=ip") == 1, log
    assert log.count(f"event=store_node_unreachable node=127.0.0.1:{dead}") == 1, log
    assert f"event=store_node_replaced node=127.0.0.1:{dead}" in log, log
    assert "Traceback" not in log, log
