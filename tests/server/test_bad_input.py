"""Input that needs no login never gets a 5xx: deep JSON, lone surrogates, forged cursors."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.support.clients import auth, login
from tests.support.server import ServerProcess, login_body


def _post_login(server: ServerProcess, raw: bytes) -> httpx.Response:
    headers = {"content-type": "application/json"}
    return httpx.post(server.url + "/api/auth/login", content=raw, headers=headers)


def test_deeply_nested_arrays_are_400(memory_server: ServerProcess) -> None:
    """An array nested 33 to 30,000 deep is 400 bad_request, not a RecursionError 500."""
    for depth in (33, 100, 999, 1000, 5000, 30000):
        r = _post_login(memory_server, b"[" * depth + b"]" * depth)
        assert r.status_code == 400, (depth, r.text)
        assert r.json()["error"] == "bad_request"


def test_deep_nesting_inside_a_login_body_is_400(memory_server: ServerProcess) -> None:
    """A login body whose extra field nests past 32 levels is refused whole with 400."""
    fields = json.dumps(login_body())[:-1]
    for depth in (33, 999, 1000, 10000):
        nest = '{"a":' * (depth - 1) + "1" + "}" * (depth - 1)
        r = _post_login(memory_server, f'{fields}, "extra": {nest}}}'.encode())
        assert r.status_code == 400, (depth, r.text)
        assert r.json()["error"] == "bad_request"


def test_nesting_of_32_levels_is_allowed(memory_server: ServerProcess) -> None:
    """A body nested exactly 32 levels deep (counting the body) still logs in."""
    body = {**login_body(), "extra": json.loads("[" * 31 + "]" * 31)}
    r = httpx.post(memory_server.url + "/api/auth/login", json=body)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("field", ["username", "password", "device_id", "device_name"])
def test_lone_surrogate_is_422_naming_the_field(memory_server: ServerProcess, field: str) -> None:
    """A field holding the JSON escape \\ud800 (no valid Unicode text) is 422 naming it."""
    raw = json.dumps(login_body()).replace(f'"{field}": "', f'"{field}": "\\ud800')
    r = _post_login(memory_server, raw.encode())
    assert r.status_code == 422, r.text
    assert (r.json()["error"], r.json()["field"]) == ("validation_failed", field)


def test_a_surrogate_pair_is_just_a_character(memory_server: ServerProcess) -> None:
    """The escapes \\ud83d\\ude00 form one emoji, which a device name may hold."""
    raw = json.dumps(login_body()).replace('"device_name": "', '"device_name": "\\ud83d\\ude00 ')
    r = _post_login(memory_server, raw.encode())
    assert r.status_code == 200, r.text
    assert r.json()["session"]["device_name"] == "\U0001f600 PC-1"


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


BAD_CURSORS = [
    "0:18446744073709551616",  # one past SCAN's 64 bits
    "0:" + "9" * 40,
    "99999999999999999999999:0",
    "0:" + "9" * 5000,  # past int()'s digit limit
    _b64("[" * 1000 + "]" * 1000),  # RecursionError in a JSON cursor
    _b64("[1, 2, 3]"),
    "%ED%A0%80",
    "%00",
    "0:1%0A",
    "x" * 300,
    "-1",
]


@pytest.mark.parametrize("store", ["memory_server", "redis_server"])
def test_forged_admin_cursors_are_422(request: pytest.FixtureRequest, store: str) -> None:
    """A cursor no engine issued is 422 validation_failed naming cursor, on either store."""
    server: ServerProcess = request.getfixturevalue(store)
    admin = auth(login(server, "admin", "Console")["access_token"])
    for cursor in BAD_CURSORS:
        r = httpx.get(f"{server.url}/api/admin/sessions?cursor={cursor}", headers=admin)
        assert r.status_code == 422, (cursor[:40], r.text)
        assert (r.json()["error"], r.json()["field"]) == ("validation_failed", "cursor")


def test_count_is_ascii_digits_in_range(memory_server: ServerProcess) -> None:
    """count must be 1-1000 in ASCII digits: Unicode digits, signs and underscores are 422."""
    admin = auth(login(memory_server, "admin", "Console")["access_token"])
    for count in ["\u0661", "%EF%BC%91", "+5", "%205", "5_0", "0", "1001", "1e3"]:
        r = httpx.get(f"{memory_server.url}/api/admin/sessions?count={count}", headers=admin)
        assert r.status_code == 422, (count, r.text)
        assert r.json()["field"] == "count"
