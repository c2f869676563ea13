"""Redis going away mid-run: 503s, readiness down, then recovery without a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis

from tests.support.clients import auth, connected, login
from tests.support.redis_proc import RedisProcess
from tests.support.server import ServerProcess, login_body, timeout


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    proc = RedisProcess().start()
    yield proc
    proc.stop()


async def test_outage_fails_closed_and_recovers(
    start_server: Callable[..., ServerProcess], private_redis: RedisProcess
) -> None:
    """While Redis is down logins and checks get 503 and readyz 503; afterwards all works again."""
    server = start_server("--demo", "--redis-url", private_redis.url, "--recheck-interval", "0.5")
    token = login(server)["access_token"]
    sock = await connected(server, token)
    private_redis.stop()

    def get(path: str, **kw: object) -> httpx.Response:
        return httpx.get(server.url + path, timeout=timeout(10), **kw)  # type: ignore[arg-type]

    ready = await asyncio.to_thread(get, "/readyz")
    assert (ready.status_code, ready.json()) == (503, {"error": "store_unavailable"})
    r = await asyncio.to_thread(
        httpx.post, server.url + "/api/auth/login", json=login_body("user2"), timeout=timeout(10)
    )
    assert (r.status_code, r.json()["error"]) == (503, "store_unavailable")
    me = await asyncio.to_thread(get, "/api/auth/me", headers=auth(token))
    assert (me.status_code, me.json()["error"]) == (503, "store_unavailable")
    assert (await asyncio.to_thread(get, "/healthz")).status_code == 200
    await asyncio.sleep(1.5)  # sweeps fail meanwhile; the socket must survive the outage
    assert sock.conn.close_code is None

    private_redis.start()
    deadline = asyncio.get_running_loop().time() + timeout(15)
    while (await asyncio.to_thread(get, "/readyz")).status_code != 200:
        assert asyncio.get_running_loop().time() < deadline, "never became ready again"
        await asyncio.sleep(0.2)
    assert (await asyncio.to_thread(get, "/api/auth/me", headers=auth(token))).status_code == 200
    # Pub/sub resubscribed: a displacement reaches the socket again.
    await asyncio.to_thread(login, server, "user1", "PC-2")
    message = await sock.next_message(wait=5)
    assert message["type"] == "displaced"
    assert await sock.until_closed() == 4001
    # One line when the rechecks pause and one when they resume, not one per slice.
    log = await asyncio.to_thread(server.log_with, "event=recheck_resumed")
    assert log.count("event=recheck_paused") == 1, log
    assert log.count("event=recheck_resumed") == 1, log


def test_server_starts_while_redis_is_down(start_server: Callable[..., ServerProcess]) -> None:
    """A server whose Redis is unreachable still starts, reports 503, and fails closed."""
    dead = RedisProcess()  # never started: nothing listens on its port
    server = start_server("--redis-url", dead.url)
    assert httpx.get(server.url + "/readyz").status_code == 503
    r = httpx.post(server.url + "/api/auth/login", json=login_body("user1"))
    assert r.status_code == 503


def test_metrics_answer_at_once_while_redis_does_not(
    start_server: Callable[..., ServerProcess], private_redis: RedisProcess
) -> None:
    """/metrics reads counters kept as events happened: it answers while Redis hangs."""
    server = start_server("--demo", "--redis-url", private_redis.url)
    login(server, "user1", "PC-1")
    login(server, "user1", "PC-2")
    pause = timeout(2.0)  # ends by itself: a paused Redis may not even take UNPAUSE
    with redis.Redis.from_url(private_redis.url) as pauser:
        pauser.execute_command("CLIENT", "PAUSE", int(pause * 1000), "ALL")
    started = time.monotonic()
    r = httpx.get(server.url + "/metrics", timeout=timeout(10))
    elapsed = time.monotonic() - started
    time.sleep(max(0.0, pause - elapsed) + 0.2)  # Redis answers again before teardown
    assert r.status_code == 200
    assert elapsed < timeout(0.5), f"/metrics waited {elapsed:.2f} s on the store"
    assert "loginguard_sessions_started_total 2.0" in r.text
    assert 'loginguard_sessions_ended_total{reason="displaced"} 1.0' in r.text
