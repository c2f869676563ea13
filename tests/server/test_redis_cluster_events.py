"""Per-user events on Redis Cluster, across server processes: each hears only its own
users, and a primary killed in a login storm leaves every account one session and
every displaced socket told."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from shared.close_codes import CloseCode
from tests.support.clients import Socket, auth, connected, login, open_socket
from tests.support.redis_cluster import RedisCluster
from tests.support.server import ServerProcess, login_body, new_prefix, timeout

pytestmark = pytest.mark.redis

PASSWORD = "storm-pass-1"
USERS_PER_SHARD = 3
ROUNDS = 4  # per account: two PCs log in at once, each round on the other server


def _received(server: ServerProcess) -> float:
    text = httpx.get(server.url + "/metrics", timeout=timeout(10)).text
    found = re.search(r"^loginguard_events_received_total (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_a_server_receives_the_events_of_the_users_it_holds_only(
    start_server: Callable[..., ServerProcess], redis_cluster: RedisCluster, cluster_prefix: str
) -> None:
    """user1's sockets are all on server A, user2's on B: five displacements of user1
    made through B reach A five times and B never."""
    a, b = (
        start_server("--demo", "--redis-url", redis_cluster.url, "--redis-prefix", cluster_prefix)
        for _ in range(2)
    )
    other = await connected(b, login(b, "user2", "PC-x")["access_token"])
    sock = await connected(a, login(a, "user1", "PC-0")["access_token"])
    for k in range(1, 6):
        token = (await asyncio.to_thread(login, b, "user1", f"PC-{k}"))["access_token"]
        message = await sock.next_message()
        assert (message["type"], message["by"]["device_name"]) == ("displaced", f"PC-{k}")
        assert await sock.until_closed() == CloseCode.DISPLACED
        sock = await connected(a, token)
    assert await asyncio.to_thread(_received, a) == 5
    assert await asyncio.to_thread(_received, b) == 0
    assert other.conn.close_code is None
    for open_one in (other, sock):
        await open_one.conn.close()


async def test_a_login_waiting_under_ask_hears_the_answer_given_on_another_server(
    start_server: Callable[..., ServerProcess], redis_cluster: RedisCluster, cluster_prefix: str
) -> None:
    """Policy ask on a cluster: PC-1's socket is on server A, PC-2's login waits on B,
    which holds no socket of the account: A shows the request, PC-1 allows it there, and
    B hears it at once (not at its once-a-second re-read) and admits PC-2."""
    a, b = (
        start_server(
            "--demo", "--policy", "ask",
            "--redis-url", redis_cluster.url, "--redis-prefix", cluster_prefix,
        )
        for _ in range(2)
    )  # fmt: skip
    token = login(a, "user1", "PC-1")["access_token"]
    sock = await connected(a, token)

    async def pc2() -> httpx.Response:
        async with httpx.AsyncClient(base_url=b.url, timeout=timeout(40)) as http:
            body = login_body("user1", "PC-2", takeover=True)
            return await http.post("/api/auth/login", json=body)

    waiting = asyncio.create_task(pc2())
    while (request := await sock.next_message())["type"] != "takeover_request":
        pass
    assert request["by"]["device_name"] == "PC-2"
    async with httpx.AsyncClient(base_url=a.url) as http:
        path = f"/api/takeover-requests/{request['id']}"
        answered = await http.post(path, json={"allow": True}, headers=auth(token))
    assert answered.json()["outcome"] == "allowed", answered.text
    loop = asyncio.get_running_loop()
    started = loop.time()
    r = await waiting
    assert r.status_code == 200, r.text
    assert loop.time() - started < 0.5
    assert await sock.until_closed() == CloseCode.DISPLACED
    assert await asyncio.to_thread(_received, b) > 0  # B followed user1 while waiting


def _post_login(server: ServerProcess, user: str, device: str) -> httpx.Response:
    body = {**login_body(user, device), "password": PASSWORD}
    return httpx.post(server.url + "/api/auth/login", json=body, timeout=timeout(10))


async def _login(server: ServerProcess, user: str, device: str) -> str:
    """Log in, waiting out the 503s of a shard that is down; the token."""
    async with asyncio.timeout(timeout(30)):
        while (r := await asyncio.to_thread(_post_login, server, user, device)).status_code != 200:
            assert r.status_code == 503, r.text
            await asyncio.sleep(0.1)
    return str(r.json()["access_token"])


async def _attach(server: ServerProcess, token: str) -> Socket:
    """A socket for ``token`` that got its first message, reopened while the server
    answers 1013 (its shard down), as the app does."""
    async with asyncio.timeout(timeout(30)):
        while True:
            sock = await open_socket(server, token)
            try:
                await sock.next_message(wait=10)
                return sock
            except ConnectionClosed:
                if sock.conn.close_code != CloseCode.TRY_AGAIN:
                    return sock
            await asyncio.sleep(0.1)


async def test_a_primary_killed_in_a_login_storm_leaves_one_session_per_account(
    start_server: Callable[..., ServerProcess], failover_cluster: RedisCluster
) -> None:
    """While accounts on every shard are taken by two PCs at once, round after round on
    two servers, a primary is killed and its replica takes over: afterwards every account
    has exactly one valid session, its newest, and every other PC's socket was told
    ``displaced`` and closed with 4001."""
    cluster = failover_cluster
    prefix = new_prefix()
    users = [
        user
        for port in cluster.primaries()
        for user in cluster.users_on(prefix, port, USERS_PER_SHARD)
    ]
    await cluster.add_accounts(prefix, users, PASSWORD)
    servers = [
        start_server("--redis-url", cluster.url, "--redis-prefix", prefix, "--contest-limit", "0")
        for _ in range(2)
    ]
    issued: dict[str, list[tuple[str, Socket]]] = {user: [] for user in users}

    async def pc(user: str, device: str, server: ServerProcess, other: ServerProcess) -> None:
        token = await _login(server, user, device)
        issued[user].append((token, await _attach(other, token)))

    async def take_turns(user: str, first: int) -> None:
        for n in range(ROUNDS):
            here, there = servers[(first + n) % 2], servers[(first + n + 1) % 2]
            await asyncio.gather(
                pc(user, f"PC-{n}a", here, there), pc(user, f"PC-{n}b", there, here)
            )

    async def kill() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(cluster.kill, cluster.primaries()[0])

    await asyncio.gather(kill(), *(take_turns(user, i % 2) for i, user in enumerate(users)))
    await asyncio.to_thread(cluster.wait_promoted, cluster.primaries()[0])

    for user in users:
        valid = []
        for token, sock in issued[user]:
            me = await asyncio.to_thread(
                httpx.get, servers[0].url + "/api/auth/me", headers=auth(token), timeout=timeout(10)
            )
            assert me.status_code in (200, 401), me.text
            if me.status_code == 200:
                valid.append(token)
                assert sock.conn.close_code is None, (user, sock.messages)
            else:
                assert me.json()["error"] == "session_displaced", me.text
                code = await sock.until_closed(wait=15)
                assert code == CloseCode.DISPLACED, (user, code, sock.messages)
                assert sock.messages[-1]["type"] == "displaced", (user, sock.messages)
        assert len(valid) == 1, (user, len(issued[user]))
        for _, sock in issued[user]:
            await sock.conn.close()
    logs = [server.log() for server in servers]
    assert all("Traceback" not in log for log in logs), logs
    # The kill landed inside the storm: the servers lost the primary's subscriptions.
    assert any("event=store_events_shard_lost" in log for log in logs), logs
