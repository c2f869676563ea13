"""Rate limits and login policies (reject, confirm, N sessions)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.clients import auth, login
from tests.support.server import ServerProcess, login_body


def _post(server: ServerProcess, body: dict[str, object]) -> httpx.Response:
    return httpx.post(server.url + "/api/auth/login", json=body)


def test_failed_logins_are_rate_limited_per_account(
    start_server: Callable[..., ServerProcess],
) -> None:
    """After N failures the account answers 429 with Retry-After, even to the right password."""
    server = start_server("--demo", "--max-failures-user", "3", "--failure-window", "60")
    for _ in range(3):
        assert _post(server, {**login_body("user1"), "password": "bad"}).status_code == 401
    r = _post(server, login_body("user1"))
    assert r.status_code == 429
    assert r.json()["error"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert _post(server, login_body("user2")).status_code == 200  # other accounts unaffected


def test_failed_logins_are_rate_limited_per_ip(start_server: Callable[..., ServerProcess]) -> None:
    """Spraying many accounts from one address trips the per-IP limit."""
    server = start_server("--demo", "--max-failures-ip", "4", "--max-failures-user", "100")
    for user in ("user1", "user2", "user3", "ghost"):
        assert _post(server, {**login_body(user), "password": "bad"}).status_code == 401
    assert _post(server, login_body("user3")).status_code == 429


def test_successful_logins_never_count_as_failures(
    start_server: Callable[..., ServerProcess],
) -> None:
    """Many good logins in a row never hit the limit, and one clears earlier failures."""
    server = start_server("--demo", "--max-failures-user", "2")
    assert _post(server, {**login_body("user1"), "password": "bad"}).status_code == 401
    for _ in range(5):
        assert _post(server, login_body("user1")).status_code == 200
    assert _post(server, {**login_body("user1"), "password": "bad"}).status_code == 401
    assert _post(server, login_body("user1")).status_code == 200


def test_reject_policy_refuses_a_second_pc(start_server: Callable[..., ServerProcess]) -> None:
    """Under reject, PC-2 gets 409 session_active naming PC-1, and PC-1 stays signed in."""
    server = start_server("--demo", "--policy", "reject")
    first = login(server, "user1", "PC-1")
    for takeover in (False, True):
        r = _post(server, login_body("user1", "PC-2", takeover=takeover))
        assert r.status_code == 409
        body = r.json()
        assert body["error"] == "session_active"
        assert body["policy"] == "reject"
        assert [s["device_name"] for s in body["sessions"]] == ["PC-1"]
    me = httpx.get(server.url + "/api/auth/me", headers=auth(first["access_token"]))
    assert me.status_code == 200


def test_confirm_policy_takes_over_only_when_asked(
    start_server: Callable[..., ServerProcess],
) -> None:
    """Under confirm, PC-2 gets 409 until it retries with takeover, which displaces PC-1."""
    server = start_server("--demo", "--policy", "confirm")
    first = login(server, "user1", "PC-1")
    r = _post(server, login_body("user1", "PC-2"))
    assert (r.status_code, r.json()["policy"]) == (409, "confirm")
    second = login(server, "user1", "PC-2", takeover=True)
    assert [s["device_name"] for s in second["displaced"]] == ["PC-1"]
    me = httpx.get(server.url + "/api/auth/me", headers=auth(first["access_token"]))
    assert me.json()["error"] == "session_displaced"


def test_two_sessions_allowed_third_evicts_oldest(
    start_server: Callable[..., ServerProcess],
) -> None:
    """With --max-sessions 2 the third PC displaces the oldest and the second stays."""
    server = start_server("--demo", "--max-sessions", "2")
    a, b = login(server, "user1", "A"), login(server, "user1", "B")
    login(server, "user1", "C")
    codes = [
        httpx.get(server.url + "/api/auth/me", headers=auth(t["access_token"])).status_code
        for t in (a, b)
    ]
    assert codes == [401, 200]
