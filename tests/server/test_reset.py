"""A session the server no longer knows is server_reset; a Redis gone back in time fails closed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from server.sessions.factory import redis_stores
from shared.reasons import EndReason
from tests.support.clients import auth, login, open_socket
from tests.support.redis_proc import RedisProcess
from tests.support.server import REDIS_TEST_URL, ServerProcess, timeout


def _me(server: ServerProcess, token: str) -> httpx.Response:
    return httpx.get(server.url + "/api/auth/me", headers=auth(token))


def test_a_restarted_memory_server_answers_session_reset(
    memory_server: ServerProcess,
) -> None:
    """A well-signed, unexpired token the restarted store never heard of gets 401 session_reset."""
    token = login(memory_server, "user1", "PC-1")["access_token"]
    assert _me(memory_server, token).status_code == 200
    memory_server.restart()
    r = _me(memory_server, token)
    assert (r.status_code, r.json()["error"]) == (401, "session_reset")


async def test_the_socket_of_an_unknown_session_is_told_reset_with_4005(
    memory_server: ServerProcess,
) -> None:
    """After a restart the socket gets {"type": "reset"} and the terminal close code 4005."""
    token = login(memory_server, "user1", "PC-1")["access_token"]
    await asyncio.to_thread(memory_server.restart)
    sock = await open_socket(memory_server, token)
    assert await sock.until_closed() == 4005
    assert sock.messages == [{"type": "reset"}]


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    server = RedisProcess().start()
    yield server
    server.stop(save=False)


def _until(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + timeout(within)
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.mark.redis
def test_a_redis_restored_from_an_older_snapshot_fails_closed(
    start_server: Callable[..., ServerProcess], private_redis: RedisProcess
) -> None:
    """Ended sessions that an old RDB brings back answer session_reset, and new logins work."""
    server = start_server("--demo", "--workers", "2", "--redis-url", private_redis.url)
    pc1 = login(server, "user1", "PC-1")["access_token"]
    kicked = login(server, "user2", "PC-1")["access_token"]
    private_redis.snapshot()  # pc1 and kicked are live in this RDB
    pc2 = login(server, "user1", "PC-2")["access_token"]  # displaces pc1
    admin = login(server, "admin", "console")["access_token"]
    r = httpx.delete(server.url + "/api/admin/users/user2/sessions", headers=auth(admin))
    assert r.status_code == 200
    for token in (pc1, kicked):
        assert _me(server, token).status_code == 401
    private_redis.stop(save=False)
    private_redis.start()  # back in time: pc1 and kicked live again, pc2 and admin unknown

    def reset(token: str) -> bool:
        r = _me(server, token)
        return r.status_code == 401 and r.json()["error"] == "session_reset"

    assert _until(lambda: reset(pc1), within=10), _me(server, pc1).text
    # The other worker learns of the reset at its next watch (every second).
    for token in (kicked, pc2, admin):
        assert _until(lambda t=token: reset(t), within=3), _me(server, token).text
    fresh = login(server, "user1", "PC-3")["access_token"]
    assert _me(server, fresh).status_code == 200
    assert "event=store_went_back" in server.log_with("event=store_went_back")
    # The audit (restored with the rest) records each of those endings once.
    admin = login(server, "admin", "console")["access_token"]
    r = httpx.get(
        server.url + "/api/admin/audit", params={"since": "0", "count": "1000"}, headers=auth(admin)
    )
    resets = sorted(
        (e["user"], e["device"]) for e in r.json()["events"] if e["event"] == "server_reset"
    )
    assert resets == [("user1", "PC-1"), ("user2", "PC-1")]


async def test_replies_in_any_order_are_no_reset(
    redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Concurrent writes and reads whose replies cross are not taken for a store gone back."""
    stores = redis_stores(REDIS_TEST_URL, prefix=redis_prefix)
    sessions = stores.sessions
    try:
        for _ in range(5):
            # Bumps and reads on many connections at once: Redis runs them in one
            # order, this process reads their replies in another.
            calls = [sessions.end_all(f"user{i}", EndReason.LOGGED_OUT) for i in range(100)]
            calls += [sessions.watch() for _ in range(100)]
            await asyncio.gather(*calls)
        assert "store_went_back" not in caplog.text
        assert not any(await asyncio.gather(*(sessions.watch() for _ in range(10))))
    finally:
        await stores.close()
