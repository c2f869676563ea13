"""The REST API against a real one-worker server on the embedded store."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support.clients import auth, login
from tests.support.server import ServerProcess, login_body


def test_login_returns_token_session_and_nothing_displaced(memory_server: ServerProcess) -> None:
    """A first login gets a bearer token, its session details and an empty displaced list."""
    body = login(memory_server, "user1", "PC-1")
    assert body["token_type"] == "bearer"
    assert body["displaced"] == []
    session = body["session"]
    assert session["device_name"] == "PC-1"
    assert session["ip"] == "127.0.0.1"
    assert body["expires_at"] == session["expires_at"] > session["created_at"]
    me = httpx.get(memory_server.url + "/api/auth/me", headers=auth(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {"user": {"username": "user1", "role": "user"}, "session": session}


def test_second_login_displaces_the_first_with_details(memory_server: ServerProcess) -> None:
    """PC-2's login ends PC-1's token at once; PC-1 learns who, from where and when."""
    first = login(memory_server, "user1", "PC-1")
    second = login(memory_server, "user1", "PC-2")
    assert [s["jti"] for s in second["displaced"]] == [first["session"]["jti"]]
    r = httpx.get(memory_server.url + "/api/auth/me", headers=auth(first["access_token"]))
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "session_displaced"
    assert body["by"]["device_name"] == "PC-2"
    assert body["by"]["ip"] == "127.0.0.1"
    assert body["by"]["at"] >= second["session"]["created_at"] - 1
    ok = httpx.get(memory_server.url + "/api/auth/me", headers=auth(second["access_token"]))
    assert ok.status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(memory_server: ServerProcess) -> None:
    """Bad credentials get 401 invalid_credentials whether or not the account exists."""
    for user, password in (("user1", "nope"), ("ghost", "password1")):
        body = {**login_body(user), "password": password}
        r = httpx.post(memory_server.url + "/api/auth/login", json=body)
        assert r.status_code == 401
        assert r.json() == {"error": "invalid_credentials"}


def test_malformed_bodies_get_4xx_json_codes(memory_server: ServerProcess) -> None:
    """Not JSON is 400 bad_request; a wrong field is 422 naming the field."""
    url = memory_server.url + "/api/auth/login"
    r = httpx.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["error"]) == (400, "bad_request")
    r = httpx.post(url, json=[1, 2])
    assert (r.status_code, r.json()["error"]) == (400, "bad_request")
    for field, value in (("username", ""), ("device_id", 7), ("takeover", "yes")):
        r = httpx.post(url, json={**login_body(), field: value})
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "validation_failed"
        assert r.json()["field"] == field
    r = httpx.post(url, content=b"x" * 70_000)
    assert r.status_code == 413
    assert r.json()["error"] == "bad_request"


def test_unknown_paths_and_methods_are_json(memory_server: ServerProcess) -> None:
    """404 and 405 come back as JSON error codes too."""
    r = httpx.get(memory_server.url + "/api/nope")
    assert (r.status_code, r.json()) == (404, {"error": "not_found"})
    r = httpx.get(memory_server.url + "/api/auth/login")
    assert (r.status_code, r.json()) == (405, {"error": "method_not_allowed"})


def test_logout_ends_the_session(memory_server: ServerProcess) -> None:
    """After logout the token is refused with session_logged_out."""
    token = login(memory_server)["access_token"]
    r = httpx.post(memory_server.url + "/api/auth/logout", headers=auth(token))
    assert r.status_code == 204
    r = httpx.get(memory_server.url + "/api/auth/me", headers=auth(token))
    assert (r.status_code, r.json()["error"]) == (401, "session_logged_out")


def test_sessions_lists_the_callers_sessions(start_server: Callable[..., ServerProcess]) -> None:
    """With max 2 sessions, /api/sessions lists both and marks the caller's own."""
    server = start_server("--demo", "--max-sessions", "2")
    a = login(server, "user2", "PC-A")
    b = login(server, "user2", "PC-B")
    assert b["displaced"] == []
    r = httpx.get(server.url + "/api/sessions", headers=auth(a["access_token"]))
    sessions = r.json()["sessions"]
    assert [s["device_name"] for s in sessions] == ["PC-A", "PC-B"]
    assert [s["current"] for s in sessions] == [True, False]
    c = login(server, "user2", "PC-C")
    assert [s["device_name"] for s in c["displaced"]] == ["PC-A"]


def test_same_device_signing_in_again_replaces_itself(memory_server: ServerProcess) -> None:
    """A PC that signs in twice keeps one session, the newer one."""
    first = login(memory_server, "user3", "PC-1")
    second = login(memory_server, "user3", "PC-1")
    assert [s["jti"] for s in second["displaced"]] == [first["session"]["jti"]]
    r = httpx.get(memory_server.url + "/api/sessions", headers=auth(second["access_token"]))
    assert len(r.json()["sessions"]) == 1


def test_admin_lists_all_sessions_and_kicks_a_user(memory_server: ServerProcess) -> None:
    """An admin pages through every session and ends a user's with reason admin."""
    u1 = login(memory_server, "user1", "PC-1")["access_token"]
    login(memory_server, "user2", "PC-2")
    admin = login(memory_server, "admin", "Console")["access_token"]
    r = httpx.get(memory_server.url + "/api/admin/sessions", headers=auth(u1))
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    seen, cursor = [], "0"
    while True:
        r = httpx.get(
            memory_server.url + "/api/admin/sessions",
            params={"cursor": cursor, "count": 1},
            headers=auth(admin),
        )
        assert r.status_code == 200, r.text
        seen += [s["user"] for s in r.json()["sessions"]]
        cursor = r.json()["next_cursor"]
        if cursor == "0":
            break
    assert sorted(seen) == ["admin", "user1", "user2"]
    r = httpx.delete(memory_server.url + "/api/admin/users/user1/sessions", headers=auth(admin))
    assert r.status_code == 200
    assert len(r.json()["ended"]) == 1
    r = httpx.get(memory_server.url + "/api/auth/me", headers=auth(u1))
    assert r.json() == {"error": "session_revoked", "reason": "admin"}
    r = httpx.delete(memory_server.url + "/api/admin/users/ghost/sessions", headers=auth(admin))
    assert r.status_code == 404
    bad = httpx.get(
        memory_server.url + "/api/admin/sessions", params={"count": "x"}, headers=auth(admin)
    )
    assert bad.status_code == 422


def test_health_readiness_and_metrics(memory_server: ServerProcess) -> None:
    """healthz and readyz answer, and metrics count logins and displacements."""
    assert httpx.get(memory_server.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(memory_server.url + "/readyz").status_code == 200
    login(memory_server, "user1", "PC-1")
    login(memory_server, "user1", "PC-2")
    text = httpx.get(memory_server.url + "/metrics").text
    assert 'loginguard_logins_total{result="ok"} 2.0' in text
    assert "loginguard_displacements_total 1.0" in text
    assert "loginguard_sessions_started_total 2.0" in text
    assert 'loginguard_sessions_ended_total{reason="displaced"} 1.0' in text
    assert "loginguard_login_seconds_bucket" in text


def test_no_token_or_password_reaches_the_log(memory_server: ServerProcess) -> None:
    """The server log names events but never a token, a password or a whole JTI."""
    body = login(memory_server, "user1", "PC-1")
    httpx.post(memory_server.url + "/api/auth/login", json={**login_body(), "password": "s3cr3t!"})
    login(memory_server, "user1", "PC-2")
    log = memory_server.log_with("event=session_displaced")
    assert "event=session_created" in log
    assert "event=session_displaced" in log
    assert body["access_token"] not in log
    assert body["access_token"].split(".")[1] not in log
    assert body["session"]["jti"] not in log
    assert "password1" not in log.replace("password1..password3", "")
    assert "s3cr3t!" not in log
