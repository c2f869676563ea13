"""One username rule: login, the users command and the admin API agree on it."""

from __future__ import annotations

import io

import httpx
import pytest
import redis

from server.__main__ import main
from shared.usernames import valid_username
from tests.support.clients import auth, login
from tests.support.server import REDIS_TEST_URL, ServerProcess, login_body

BAD = ["evil*", "x}:user", "{u:x}", "sp ace", "", "a" * 65, "é", "a/b", "a\nb", "a%40b", "user1\n"]
GOOD = ["a", "a@b.c", "A-Z_0.9", "a" * 64]


@pytest.mark.parametrize("name", GOOD)
def test_good_names_pass_the_rule(name: str) -> None:
    """Letters, digits and ._@- up to 64 characters make a valid name."""
    assert valid_username(name)


@pytest.mark.parametrize("name", BAD)
def test_bad_names_fail_the_rule(name: str) -> None:
    """Anything else, including a trailing newline, is not a name."""
    assert not valid_username(name)


def _users(prefix: str, *args: str, stdin: str = "") -> int:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", io.StringIO(stdin))
        return main(["users", "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix, *args])


@pytest.mark.parametrize("name", ["evil*", "x}:user", "sp ace"])
def test_users_add_refuses_names_login_would_refuse(
    redis_prefix: str, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`users add` exits 2 with the rule for a name login refuses, and writes nothing."""
    assert _users(redis_prefix, "add", name, "--password-stdin", stdin="long enough\n") == 2
    assert "invalid username" in capsys.readouterr().err
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        assert list(client.scan_iter(match=f"{redis_prefix}:*")) == []
    finally:
        client.close()


@pytest.mark.parametrize("name", ["evil*", "x}:user", "sp ace"])
def test_login_refuses_the_same_names(memory_server: ServerProcess, name: str) -> None:
    """Login answers 422 naming the username field for a name outside the rule."""
    r = httpx.post(memory_server.url + "/api/auth/login", json=login_body(name))
    assert (r.status_code, r.json()["field"]) == (422, "username")


def test_admin_kicks_a_name_with_at_sign_by_either_spelling(
    redis_server: ServerProcess, redis_prefix: str
) -> None:
    """An account added as a@b.c signs in and is kicked at /users/a@b.c and /users/a%40b.c."""
    assert _users(redis_prefix, "add", "a@b.c", "--password-stdin", stdin="password9\n") == 0
    admin = auth(login(redis_server, "admin", "Console")["access_token"])
    body = {**login_body("user9"), "username": "a@b.c"}
    for spelling in ("a@b.c", "a%40b.c"):
        r = httpx.post(redis_server.url + "/api/auth/login", json=body)
        assert r.status_code == 200, r.text
        url = f"{redis_server.url}/api/admin/users/{spelling}/sessions"
        kicked = httpx.delete(url, headers=admin)
        assert kicked.status_code == 200, (spelling, kicked.text)
        assert [s["jti"] for s in kicked.json()["ended"]] == [r.json()["session"]["jti"]]


@pytest.mark.parametrize(
    "segment", ["evil*", "x%7D:user", "sp%20ace", "a%2Fb", "%ED%A0%80", "a" * 65]
)
def test_admin_kick_of_an_invalid_name_is_422(memory_server: ServerProcess, segment: str) -> None:
    """A path segment that is no valid name, once decoded, gets 422 validation_failed."""
    admin = auth(login(memory_server, "admin", "Console")["access_token"])
    r = httpx.delete(f"{memory_server.url}/api/admin/users/{segment}/sessions", headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "validation_failed"
    assert r.json()["field"] == "username"
