"""The ping-pong guard over real server processes: two PCs keep taking one account.

Defaults: more than 6 displacing logins in 5 minutes make the account contested for
5 minutes, doubled per repeat. Memory (one worker) and Redis (two workers, so the
login and the socket it tells are often on different workers).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest

from server import config
from server.__main__ import main
from tests.support.clients import auth, connected, login
from tests.support.server import REDIS_TEST_URL, ServerProcess, login_body


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(
    engine: str, start_server: Callable[..., ServerProcess], redis_prefix: str
) -> ServerProcess:
    if engine == "memory":
        return start_server("--demo")
    return start_server(
        "--demo", "--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix
    )


async def _login(server: ServerProcess, device: str, user: str = "user1") -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post("/api/auth/login", json=login_body(user, device))


async def _ping_pong(server: ServerProcess, displacing: int, first: str = "PC-A") -> str:
    """``first`` signs in, then ``displacing`` logins alternate with the other PC, each
    displacing the one before; the token of the last."""
    other = {"PC-A": "PC-B", "PC-B": "PC-A"}
    device = first
    r = await _login(server, device)
    for _ in range(displacing):
        assert r.status_code == 200, r.text
        device = other[device]
        r = await _login(server, device)
        assert r.json()["displaced"], r.text
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


async def _metrics(server: ServerProcess) -> str:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return (await http.get("/metrics")).text


async def test_two_pcs_taking_turns_are_held_back_and_told(server: ServerProcess) -> None:
    """The 7th displacing login gets 429 account_contested with Retry-After 300; the PC
    signed in hears {contested, 300} and stays connected; its own PC signing in again is
    admitted; an admin's DELETE …/contest clears the guard."""
    holder = await _ping_pong(server, 6)  # PC-A signs in, then B, A, B, A, B, A displace
    sock = await connected(server, holder)

    refused = await _login(server, "PC-B")
    assert refused.status_code == 429
    assert refused.json() == {"error": "account_contested", "retry_after": 300}
    assert refused.headers["retry-after"] == "300"
    assert await sock.next_message() == {"type": "contested", "retry_after": 300}
    again = await _login(server, "PC-B")
    assert again.status_code == 429
    assert 1 <= again.json()["retry_after"] <= 300

    # Logins that displace nobody are never held back: PC-A signing in again replaces
    # its own session, whose socket - still open after "contested" - hears of it.
    assert (await _login(server, "PC-A")).status_code == 200
    assert (await sock.next_message())["type"] == "displaced"
    assert await sock.until_closed() == 4001
    assert (await _login(server, "PC-C", user="user2")).status_code == 200

    log = server.log_with("event=account_contested")
    assert re.search(
        r"WARNING loginguard\.auth event=account_contested user=user1 displacements=7 "
        r"retry_after=300 device=PC-B ip=127\.0\.0\.1",
        log,
    ), log
    text = await _metrics(server)
    assert re.search(r"^loginguard_contested_accounts_total 1\.0$", text, re.M), text
    assert re.search(r'^loginguard_logins_total\{result="contested"\} 2\.0$', text, re.M)

    admin = (await asyncio.to_thread(login, server, "admin", "Console"))["access_token"]
    user = (await _login(server, "PC-A")).json()["access_token"]
    async with httpx.AsyncClient(base_url=server.url) as http:
        path = "/api/admin/users/{}/contest"
        assert (await http.delete(path.format("user1"), headers=auth(user))).status_code == 403
        assert (await http.delete(path.format("user1"), headers=auth(admin))).status_code == 204
        gone = await http.delete(path.format("user1"), headers=auth(admin))
        assert (gone.status_code, gone.json()["error"]) == (404, "not_found")
        ghost = await http.delete(path.format("ghost"), headers=auth(admin))
        assert ghost.status_code == 404
    assert (await _login(server, "PC-B")).status_code == 200  # displaces PC-A again


@pytest.mark.redis
async def test_users_uncontest_clears_a_repeat_on_redis(
    start_server: Callable[..., ServerProcess],
    redis_prefix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``users uncontest`` ends a contest and clears its count and repeats: the next
    contest is a first one again (300 s, not 600)."""
    server = start_server(
        "--demo", "--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix
    )
    await _ping_pong(server, 6)
    first = await _login(server, "PC-B")
    assert first.json() == {"error": "account_contested", "retry_after": 300}
    users = ["users", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix]
    assert await asyncio.to_thread(main, [*users, "uncontest", "user1"]) == 0
    assert "uncontested user1" in capsys.readouterr().out
    await _ping_pong(server, 6)  # PC-A, the holder, signs in again: no displacement
    second = await _login(server, "PC-B")
    assert second.json() == {"error": "account_contested", "retry_after": 300}
    assert await asyncio.to_thread(main, [*users, "uncontest", "user1"]) == 0
    assert (await _login(server, "PC-B")).status_code == 200
    assert await asyncio.to_thread(main, [*users, "uncontest", "user1"]) == 0
    assert "user1 was not contested" in capsys.readouterr().out
    assert await asyncio.to_thread(main, [*users, "uncontest", "ghost"]) == 1


async def test_a_limit_of_zero_turns_the_guard_off(
    start_server: Callable[..., ServerProcess],
) -> None:
    """With --contest-limit 0 twelve displacing logins in a row are all admitted."""
    server = start_server("--demo", "--contest-limit", "0")
    await _ping_pong(server, 12)
    assert "loginguard_contested_accounts_total 0.0" in await _metrics(server)


@pytest.mark.parametrize(
    "flags",
    [
        ["--contest-limit", "-1"],
        ["--contest-window", "0"],
        ["--contest-cooldown", "0.5"],
        ["--contest-cooldown", "600", "--contest-cooldown-max", "300"],
    ],
)
def test_contest_flags_that_cannot_work_are_refused(flags: list[str]) -> None:
    with pytest.raises(config.ConfigError, match="--contest-"):
        config.load(["--demo", *flags], env={})


def test_contest_flags_have_environment_twins() -> None:
    env = {"LOGINGUARD_CONTEST_LIMIT": "3", "LOGINGUARD_CONTEST_WINDOW": "60"}
    s = config.load(["--demo", "--contest-cooldown", "120"], env=env)
    assert (s.contest_limit, s.contest_window, s.contest_cooldown) == (3, 60.0, 120.0)
    assert s.contest_cooldown_max == 3600.0
