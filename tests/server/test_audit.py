"""The audit over real servers: the admin route, and ``python -m server audit tail``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import httpx
import pytest

from server.__main__ import main
from server.audit_cli import human
from server.sessions.audit import AuditEntry
from tests.support.clients import auth, login
from tests.support.output import Output
from tests.support.server import REDIS_TEST_URL, ROOT, ServerProcess, login_body, timeout

SECRET_PASSWORD = "hunter2-never-in-the-audit"
AUDIT = "/api/admin/audit"


def _fail_login(server: ServerProcess, user: str = "user1") -> None:
    body = {**login_body(user, "PC-9"), "password": SECRET_PASSWORD}
    r = httpx.post(server.url + "/api/auth/login", json=body)
    assert r.status_code == 401


def _events(server: ServerProcess, token: str, **params: str) -> Any:
    r = httpx.get(server.url + AUDIT, params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_admins_page_the_audit_and_no_password_is_in_it(memory_server: ServerProcess) -> None:
    """Logins, a displacement and a failure are there for an admin, page by page; the
    wrong password is nowhere in it."""
    login(memory_server, "user1", "PC-1")
    login(memory_server, "user1", "PC-2")
    _fail_login(memory_server)
    admin = login(memory_server, "admin", "Console")["access_token"]
    mine = _events(memory_server, admin, user="user1")
    assert [(e["event"], e.get("reason")) for e in mine["events"]] == [
        ("login_admitted", None),
        ("login_admitted", None),
        ("displaced", None),
        ("login_failed", "bad_password"),
    ]
    assert mine["next"] is None
    displaced = mine["events"][2]
    assert (displaced["device"], displaced["by"]["device_name"]) == ("PC-1", "PC-2")
    everything = _events(memory_server, admin, since="0", count="1000")
    assert SECRET_PASSWORD not in json.dumps(everything)
    walked, since = [], "0"
    while since is not None:
        page = _events(memory_server, admin, since=since, count="2")
        walked += page["events"]
        since = page["next"]
    assert walked == everything["events"]
    assert [e["event"] for e in _events(memory_server, admin, since="10m")["events"]] == [
        e["event"] for e in everything["events"]
    ]


def test_the_audit_route_is_for_admins_and_names_a_bad_parameter(
    memory_server: ServerProcess,
) -> None:
    """No token is 401, a user's token 403; a bad count, since or user is 422 naming it."""
    url = memory_server.url + AUDIT
    assert httpx.get(url).status_code == 401
    user = login(memory_server, "user1", "PC-1")["access_token"]
    r = httpx.get(url, headers=auth(user))
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    admin = login(memory_server, "admin", "Console")["access_token"]
    for field, value in (
        ("count", "0"),
        ("count", "1001"),
        ("count", "x"),
        ("count", "-1"),
        ("since", "yesterday"),
        ("since", "1-2-3-4"),
        ("since", "9" * 80),
        ("user", "not a name"),
    ):
        r = httpx.get(url, params={field: value}, headers=auth(admin))
        assert r.status_code == 422, (field, value, r.text)
        assert r.json()["error"] == "validation_failed"
        assert r.json()["field"] == field


def _tail(prefix: str, *args: str) -> list[str]:
    return ["audit", "tail", "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix, *args]


def test_tail_prints_the_latest_events_as_json_or_text(
    redis_server: ServerProcess, redis_prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``audit tail --json`` prints one JSON object per event; the text form one line each."""
    login(redis_server, "user1", "PC-1")
    login(redis_server, "user1", "PC-2")
    login(redis_server, "user2", "PC-3")
    assert main(_tail(redis_prefix, "--json", "--user", "user1")) == 0
    lines = capsys.readouterr().out.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == ["login_admitted", "login_admitted", "displaced"]
    assert events[2]["by"]["device_name"] == "PC-2"
    assert main(_tail(redis_prefix, "--count", "1")) == 0
    (text,) = capsys.readouterr().out.splitlines()
    assert "login_admitted" in text
    assert '"user2"' in text
    assert 'device="PC-3"' in text
    assert main(_tail(redis_prefix, "--since", "nonsense")) == 2
    assert "--since" in capsys.readouterr().err


def test_tail_on_the_memory_store_says_there_is_nothing_to_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without a Redis URL the command exits 2 and points at the admin route."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LOGINGUARD_REDIS_URL", raising=False)
        assert main(["audit", "tail"]) == 2
    assert "/api/admin/audit" in capsys.readouterr().err


def test_tail_follow_sees_a_new_event_and_stops_cleanly_on_ctrl_c(
    redis_server: ServerProcess, redis_prefix: str
) -> None:
    """--follow prints a login made after it started; Ctrl-C ends it with no traceback."""
    login(redis_server, "user1", "PC-1")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "server", *_tail(redis_prefix, "--json", "--follow")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stderr is not None
            out = Output(proc.stdout)
            out.first(lambda line: line if "PC-1" in line else None, 20, "of PC-1's login")
            login(redis_server, "user1", "PC-2")
            new = out.first(lambda line: json.loads(line), 10, "of PC-2's login")
            assert (new["event"], new["device"]) == ("login_admitted", "PC-2")
            displaced = out.first(lambda line: json.loads(line), 10, "of PC-1's displacement")
            assert (displaced["event"], displaced["device"]) == ("displaced", "PC-1")
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout(10)) == 0
            assert "Traceback" not in proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()


def test_text_lines_escape_what_users_typed() -> None:
    """Control, format and quote characters in a device name are escaped, never printed."""
    entry = AuditEntry(
        "1-0",
        1_700_000_000.25,
        "displaced",
        "alice",
        {"device": 'PC\x1b[31m"\u202e', "by": {"device_name": "x\ny", "ip": "10.0.0.1"}},
    )
    line = human(entry)
    for raw in ("\x1b", "\u202e", "\n"):
        assert raw not in line
    assert 'device="PC\\u001b[31m\\"\\u202e"' in line
    assert 'by="x\\u000ay" by_ip="10.0.0.1"' in line
    assert line.startswith("2023-11-1")  # local date, with the zone after the time
