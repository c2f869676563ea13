"""The command line: configuration errors, and account management in Redis."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable

import httpx
import pytest
import redis

from server.__main__ import main
from server.config import ConfigError, load
from server.sessions.keys import Keys
from server.sessions.limits import SessionLimits
from server.users_cli import SEED_PASSWORD_ENV
from tests.support.clients import connected
from tests.support.server import FAST_HASH_ENV, REDIS_TEST_URL, ServerProcess, free_port

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
    assert (s.policy.value, s.max_sessions) == ("reject", SessionLimits.shared(2))
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


SEED_PASSWORD = "seeded-pass-1"


def _stored_hash(prefix: str, user: str) -> str:
    client = redis.Redis.from_url(REDIS_TEST_URL, decode_responses=True)
    try:
        return str(client.hget(Keys(prefix).account(user), "password_hash"))
    finally:
        client.close()


def _seed(prefix: str, *args: str, env: dict[str, str] | None = None) -> int:
    argv = ["users", "seed", *args, "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            SEED_PASSWORD_ENV: SEED_PASSWORD,
            **FAST_HASH_ENV,
            **(env or {}),
        }.items():
            mp.setenv(name, value)
        return main(argv)


async def test_seeded_accounts_sign_in(
    start_server: Callable[..., ServerProcess],
    redis_prefix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`users seed` makes bench0..bench<N-1> with the password from the environment."""
    args = ("--count", "25", "--name-format", "bench{i}")
    assert await asyncio.to_thread(_seed, redis_prefix, *args) == 0
    out, err = capsys.readouterr()
    assert "seeded 25 of 25 account(s) bench0 … bench24" in out
    assert SEED_PASSWORD not in out + err
    server = start_server("--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix)
    body = {"username": "bench24", "password": SEED_PASSWORD, "device_id": "d", "device_name": "D"}
    r = await asyncio.to_thread(httpx.post, server.url + "/api/auth/login", json=body)
    assert r.status_code == 200
    r = await asyncio.to_thread(
        httpx.post, server.url + "/api/auth/login", json={**body, "username": "bench25"}
    )
    assert r.status_code == 401


def test_seed_writes_10000_accounts_in_seconds_with_production_hashing(
    redis_prefix: str,
) -> None:
    """Ten thousand accounts at the default argon2 cost take well under 30 s (one hash)."""
    started = time.perf_counter()
    env = {"LOGINGUARD_ARGON2_TIME_COST": "", "LOGINGUARD_ARGON2_MEMORY_KIB": ""}
    assert _seed(redis_prefix, "--count", "10000", env=env) == 0
    assert time.perf_counter() - started < 30
    assert _stored_hash(redis_prefix, "bench9999").startswith("$argon2id$v=19$m=65536,t=3,")
    assert _stored_hash(redis_prefix, "bench0") == _stored_hash(redis_prefix, "bench9999")


def test_seed_leaves_existing_accounts_unless_forced(
    redis_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second seed skips and counts the accounts that exist; --force replaces them."""
    assert _seed(redis_prefix, "--count", "3") == 0
    first = _stored_hash(redis_prefix, "bench0")
    assert _seed(redis_prefix, "--count", "5", env={SEED_PASSWORD_ENV: "other-pass"}) == 0
    assert "seeded 2 of 5" in capsys.readouterr().out
    assert _stored_hash(redis_prefix, "bench0") == first
    assert _stored_hash(redis_prefix, "bench4") != first
    forced = ("--count", "5", "--force")
    assert _seed(redis_prefix, *forced, env={SEED_PASSWORD_ENV: "other-pass"}) == 0
    assert "seeded 5 of 5" in capsys.readouterr().out
    assert _stored_hash(redis_prefix, "bench0") != first


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--count", "3", "--name-format", "bench"), {}, "must contain {i}"),
        (("--count", "3", "--name-format", "b{i}{j}"), {}, "only {i} may be used"),
        (("--count", "3", "--name-format", "b c{i}"), {}, "not a valid username"),
        (("--count", "3", "--name-format", "{i}" + "y" * 64), {}, "not a valid username"),
        (("--count", "0"), {}, "--count must be between"),
        (("--count", "3"), {SEED_PASSWORD_ENV: ""}, SEED_PASSWORD_ENV),
        (("--count", "3"), {SEED_PASSWORD_ENV: "short"}, "at least 8 characters"),
        (("--count", "3"), {"LOGINGUARD_ARGON2_TIME_COST": "lots"}, "whole numbers"),
    ],
)
def test_seed_refuses_bad_input_with_exit_2(
    redis_prefix: str,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    env: dict[str, str],
    message: str,
) -> None:
    """A bad name format, count, password or argon2 setting exits 2 and writes nothing."""
    assert _seed(redis_prefix, *args, env=env) == 2
    out, err = capsys.readouterr()
    assert message in err
    assert SEED_PASSWORD not in out + err
    assert _stored_hash(redis_prefix, "bench0") == "None"


def test_every_users_command_hashes_with_the_configured_argon2(redis_prefix: str) -> None:
    """add, passwd and seed hash with LOGINGUARD_ARGON2_*, which the stored hash names."""
    env = {"LOGINGUARD_ARGON2_TIME_COST": "2", "LOGINGUARD_ARGON2_MEMORY_KIB": "2048"}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        assert _users(redis_prefix, "add", "dave", "--password-stdin", stdin="pass word 1\n") == 0
        assert "$m=2048,t=2," in _stored_hash(redis_prefix, "dave")
        mp.setenv("LOGINGUARD_ARGON2_TIME_COST", "1")
        assert (
            _users(redis_prefix, "passwd", "dave", "--password-stdin", stdin="pass word 2\n") == 0
        )
        assert "$m=2048,t=1," in _stored_hash(redis_prefix, "dave")
    assert _seed(redis_prefix, "--count", "1", env=env) == 0
    assert "$m=2048,t=2," in _stored_hash(redis_prefix, "bench0")
