"""Guessing passwords in parallel: reservations hold the limit, known devices stay in."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.support.server import REDIS_TEST_URL, ServerProcess, login_body, timeout

LIMIT = 10
BURST = 200


def _redis_args(prefix: str) -> tuple[str, ...]:
    return ("--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def guarded(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess]
) -> ServerProcess:
    """A demo server (memory: one worker; Redis: two workers) with the default limit of 10."""
    extra = (
        () if request.param == "memory" else _redis_args(request.getfixturevalue("redis_prefix"))
    )
    return start_server("--demo", "--max-failures-user", str(LIMIT), *extra)


def _burst(server: ServerProcess, bodies: list[dict[str, object]]) -> Counter[int]:
    """POST every body at once, each on a connection of its own; count the statuses."""

    async def go() -> list[httpx.Response]:
        n = len(bodies)
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout(60)) as c:
            return await asyncio.gather(*(c.post("/api/auth/login", json=b) for b in bodies))

    return Counter(r.status_code for r in asyncio.run(go()))


def _wrong(device: str) -> dict[str, object]:
    return {**login_body("user1", device), "password": "wrong-guess"}


def test_two_hundred_parallel_guesses_verify_at_most_the_limit(
    guarded: ServerProcess,
) -> None:
    """Of 200 wrong passwords sent at once, at most 10 are answered 401 and the rest 429."""
    codes = _burst(guarded, [_wrong(f"evil-{i}") for i in range(BURST)])
    assert set(codes) <= {401, 429}, codes
    assert 1 <= codes[401] <= LIMIT, codes
    assert codes[429] == BURST - codes[401]


def test_a_burst_after_nine_failures_gets_one_verification(
    guarded: ServerProcess,
) -> None:
    """With 9 failures counted, 29 wrong guesses and the right password at once: one is checked."""
    for i in range(LIMIT - 1):
        assert httpx.post(guarded.url + "/api/auth/login", json=_wrong(f"e{i}")).status_code == 401
    bodies = [_wrong(f"burst-{i}") for i in range(29)] + [login_body("user1", "lucky")]
    codes = _burst(guarded, bodies)
    assert codes[401] + codes[200] == 1, codes
    assert codes[429] == 29


def test_strangers_never_lock_the_owner_out(guarded: ServerProcess) -> None:
    """After strangers used up the account's limit, the owner's known PC still signs in."""
    url = guarded.url + "/api/auth/login"
    assert httpx.post(url, json=login_body("user1", "owner-pc")).status_code == 200
    codes = _burst(guarded, [_wrong(f"evil-{i}") for i in range(50)])
    assert codes[429] >= 40
    new_pc = httpx.post(url, json=login_body("user1", "new-pc"))
    assert new_pc.status_code == 429  # unknown devices keep the per-account limit
    owner = httpx.post(url, json=login_body("user1", "owner-pc"))
    assert owner.status_code == 200, owner.text


def test_a_known_device_that_guesses_wrong_locks_only_itself(
    guarded: ServerProcess,
) -> None:
    """Wrong passwords from a known device fill that device's bucket, not the account's."""
    url = guarded.url + "/api/auth/login"
    assert httpx.post(url, json=login_body("user1", "pc-a")).status_code == 200
    for _ in range(LIMIT):
        assert httpx.post(url, json=_wrong("pc-a")).status_code == 401
    assert httpx.post(url, json=login_body("user1", "pc-a")).status_code == 429
    assert httpx.post(url, json=login_body("user1", "pc-b")).status_code == 200
