"""200 simultaneous logins for one account on two workers: exactly one survives."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.support.server import REDIS_TEST_URL, ServerProcess, login_body, timeout

CONCURRENT = 200
ROUNDS = 3


async def _race(client: httpx.AsyncClient, round_: int) -> list[str]:
    async def one(i: int) -> str:
        body = login_body("user1", f"PC-{round_}-{i}")
        r = await client.post("/api/auth/login", json=body)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    return await asyncio.gather(*(one(i) for i in range(CONCURRENT)))


@pytest.fixture
def race_server(start_server: Callable[..., ServerProcess], redis_prefix: str) -> ServerProcess:
    """Two workers on Redis whose attempt limits admit 200 unverified logins in flight,
    without the ping-pong guard.

    Every attempt is reserved before its password is checked, so with the default
    limits at most 10 logins of one account (50 of one address) are in flight at
    once, right password or not; this race is about what the store decides.
    """
    return start_server(
        "--demo",
        "--workers",
        "2",
        "--redis-url",
        REDIS_TEST_URL,
        "--redis-prefix",
        redis_prefix,
        "--max-failures-user",
        str(CONCURRENT),
        "--max-failures-ip",
        str(CONCURRENT),
        "--contest-limit",  # 600 displacements in seconds: the guard would hold them back
        "0",
    )


@pytest.mark.slow
async def test_simultaneous_logins_leave_exactly_one_valid_token(
    race_server: ServerProcess,
) -> None:
    """Every round, one token is valid and all the others are session_displaced."""
    redis_server = race_server
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)
    async with httpx.AsyncClient(
        base_url=redis_server.url, limits=limits, timeout=timeout(60)
    ) as client:
        for round_ in range(ROUNDS):
            tokens = await _race(client, round_)
            assert len(set(tokens)) == CONCURRENT
            results = await asyncio.gather(
                *(
                    client.get("/api/auth/me", headers={"Authorization": f"Bearer {t}"})
                    for t in tokens
                )
            )
            ok = [r for r in results if r.status_code == 200]
            assert len(ok) == 1, f"round {round_}: {len(ok)} valid tokens"
            errors = {r.json()["error"] for r in results if r.status_code != 200}
            assert errors == {"session_displaced"}
            sessions = await client.get(
                "/api/sessions", headers={"Authorization": ok[0].request.headers["authorization"]}
            )
            assert len(sessions.json()["sessions"]) == 1
