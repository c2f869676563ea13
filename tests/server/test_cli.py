"""The command line: configuration errors, and account management in Redis."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable

import httpx
import pytest

from server.__main__ import main
from server.config import ConfigError, load
from tests.support.clients import connected
from tests.support.server import REDIS_TEST_URL, ServerProcess, free_port

SECRET = {"LOGINGUARD_JWT_SECRET": "s" * 48}


def test_missing_secret_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Outside --demo, starting without LOGINGUARD_JWT_SECRET exits 2 and says what to do."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LOGINGUARD_JWT_SECRET", raising=False)
        assert main(["--port", "0"]) == 2
    assert "LOGINGUARD_JWT_SECRET is not set" in capsys.readouterr().err


def test_memory_store_refuses_several_workers() -> None:
    """--workers 2 without Redis is refused with the reason."""
    with pytest.raises(ConfigError, match="needs --redis-url"):
        load(["--workers", "2"], SECRET)


def test_short_secret_is_refused() -> None:
    """A signing secret under 32 bytes is refused."""
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        load([], {"LOGINGUARD_JWT_SECRET": "short"})


def test_env_and_flags_build_settings() -> None:
    """Every setting comes from LOGINGUARD_* and a flag overrides it."""
    env = {
        **SECRET,
        "LOGINGUARD_POLICY": "reject",
        "LOGINGUARD_MAX_SESSIONS": "3",
        "LOGINGUARD_ALLOWED_ORIGINS": "https://a, https://b",
    }
    s = load(["--max-sessions", "2"], env)
    assert (s.policy.value, s.max_sessions) == ("reject", 2)
    assert s.allowed_origins == ("https://a", "https://b")
    assert "s" * 48 not in repr(s)  # the secret never prints


def _users(prefix: str, *args: str, stdin: str = "") -> int:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(stdin))
        return main(["users", "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix, *args])


async def test_users_add_login_disable(
    start_server: Callable[..., ServerProcess],
    redis_prefix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An added user signs in; disabling them ends their live socket with revoked(disabled)."""
    assert (
        await asyncio.to_thread(
            _users, redis_prefix, "add", "carol", "--password-stdin", stdin="correct horse\n"
        )
        == 0
    )
    assert (
        await asyncio.to_thread(
            _users, redis_prefix, "add", "carol", "--password-stdin", stdin="again123\n"
        )
        == 1
    )
    assert await asyncio.to_thread(_users, redis_prefix, "list") == 0
    assert "carol\tuser\tactive" in capsys.readouterr().out
    server = start_server("--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix)
    body = {"username": "carol", "password": "correct horse", "device_id": "d", "device_name": "D"}
    r = await asyncio.to_thread(httpx.post, server.url + "/api/auth/login", json=body)
    assert r.status_code == 200
    sock = await connected(server, r.json()["access_token"])
    assert await asyncio.to_thread(_users, redis_prefix, "disable", "carol") == 0
    assert await sock.next_message() == {"type": "revoked", "reason": "disabled"}
    assert await sock.until_closed() == 4003
    r = await asyncio.to_thread(httpx.post, server.url + "/api/auth/login", json=body)
    assert (r.status_code, r.json()["error"]) == (403, "account_disabled")
    assert await asyncio.to_thread(_users, redis_prefix, "enable", "carol") == 0
    assert (
        await asyncio.to_thread(
            _users, redis_prefix, "passwd", "carol", "--password-stdin", stdin="new pass 1\n"
        )
        == 0
    )
    r = await asyncio.to_thread(
        httpx.post, server.url + "/api/auth/login", json={**body, "password": "new pass 1"}
    )
    assert r.status_code == 200


def test_users_without_redis_explains(capsys: pytest.CaptureFixture[str]) -> None:
    """Managing users needs Redis; without it the command says why."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LOGINGUARD_REDIS_URL", raising=False)
        assert main(["users", "list"]) == 2
    assert "needs --redis-url" in capsys.readouterr().err


def test_unreachable_redis_is_reported_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unreachable Redis is named in the error with its password masked."""
    url = f"redis://app:hunter2secret@127.0.0.1:{free_port()}/0"
    assert main(["users", "--redis-url", url, "list"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach Redis at redis://app:***@127.0.0.1:" in err
    assert "hunter2secret" not in err
