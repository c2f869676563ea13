"""Device classes over HTTP and WebSocket: 422s for bad classes, and a displacement
that reaches only the socket of its own class."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.clients import auth, connected, login
from tests.support.server import REDIS_TEST_URL, ServerProcess, login_body

CLASSES = ("--max-sessions", "desktop=1,mobile=1")


@pytest.fixture(params=["memory", "redis"])
def start(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess], redis_prefix: str
) -> Callable[..., ServerProcess]:
    def run(*extra: str) -> ServerProcess:
        args = ["--demo", *extra]
        if request.param == "redis":
            args += ["--workers", "2", "--redis-url", REDIS_TEST_URL]
            args += ["--redis-prefix", redis_prefix]
        return start_server(*args)

    return run


def _post(server: ServerProcess, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url + "/api/auth/login", json=body)


@pytest.mark.parametrize(
    "bad", ["Desktop", "mobile phone", "", "a" * 17, "1web", "móvil", 7, None, True, ["web"]]
)
def test_a_malformed_class_is_422_naming_the_field(
    start_server: Callable[..., ServerProcess], bad: object
) -> None:
    """A class that is not a short lowercase token is refused with 422 device_class,
    before any password is checked."""
    server = start_server("--demo", *CLASSES)
    r = _post(server, login_body("user1", "PC-1", device_class=bad, password="wrong"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["error"], body["field"]) == ("validation_failed", "device_class")
    assert "lowercase" in body["detail"]


def test_a_class_the_map_does_not_name_is_422_listing_the_allowed(
    start_server: Callable[..., ServerProcess],
) -> None:
    """Without '*', a class the map does not name is refused with the classes allowed;
    with '*', it is admitted with a limit of its own."""
    server = start_server("--demo", *CLASSES)
    r = _post(server, login_body("user1", "PC-1", device_class="web"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["error"], body["field"]) == ("validation_failed", "device_class")
    assert body["allowed"] == ["desktop", "mobile"]
    assert "unknown device class" in body["detail"]
    star = start_server("--demo", "--max-sessions", "desktop=1,*=1")
    assert login(star, "user1", "PC-1", device_class="web")["session"]["device_class"] == "web"


def test_no_class_is_desktop_and_a_bare_number_allows_any(memory_server: ServerProcess) -> None:
    """A login naming no class is a desktop; under a bare number any well-formed class
    signs in, and a phone displaces the desktop as before classes existed."""
    desk = login(memory_server, "user1", "PC-1")
    assert desk["session"]["device_class"] == "desktop"
    phone = login(memory_server, "user1", "Phone", device_class="mobile")
    assert phone["session"]["device_class"] == "mobile"
    assert [s["jti"] for s in phone["displaced"]] == [desk["session"]["jti"]]
    assert phone["displaced"][0]["device_class"] == "desktop"


async def test_a_new_desktop_tells_only_the_desktop_socket_displaced(
    start: Callable[..., ServerProcess],
) -> None:
    """With desktop=1,mobile=1 a phone and a desktop stay signed in side by side; a
    second desktop displaces the first, whose socket alone hears displaced (4001),
    while the phone's socket is told the new list and stays open."""
    server = start(*CLASSES)
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    desk_sock = await connected(server, pc1["access_token"])
    phone = await asyncio.to_thread(login, server, "user1", "Phone", device_class="mobile")
    assert phone["displaced"] == []
    listed = await desk_sock.next_message()
    assert listed["type"] == "sessions"
    assert sorted((s["device_name"], s["device_class"]) for s in listed["sessions"]) == [
        ("PC-1", "desktop"),
        ("Phone", "mobile"),
    ]
    phone_sock = await connected(server, phone["access_token"])

    pc2 = await asyncio.to_thread(login, server, "user1", "PC-2")
    assert [s["device_name"] for s in pc2["displaced"]] == ["PC-1"]
    told = await desk_sock.next_message()
    assert (told["type"], told["by"]["device_name"]) == ("displaced", "PC-2")
    assert await desk_sock.until_closed() == 4001

    rows: dict[str, Any] = {}
    while set(rows) != {"PC-2", "Phone"}:  # the list may be told twice (login, ending)
        message = await phone_sock.next_message()
        assert message["type"] == "sessions", message
        rows = {s["device_name"]: s for s in message["sessions"]}
    assert (rows["PC-2"]["device_class"], rows["Phone"]["device_class"]) == ("desktop", "mobile")
    assert rows["Phone"]["current"] is True
    r = await asyncio.to_thread(
        httpx.get, server.url + "/api/sessions", headers=auth(phone["access_token"])
    )
    assert sorted((s["device_name"], s["device_class"]) for s in r.json()["sessions"]) == [
        ("PC-2", "desktop"),
        ("Phone", "mobile"),
    ]
    assert phone_sock.conn.close_code is None
    await phone_sock.conn.close()


async def test_reject_refuses_a_second_desktop_but_admits_a_phone(
    start: Callable[..., ServerProcess],
) -> None:
    """Under reject, a live desktop session refuses another desktop with 409 naming only
    itself, and a phone signs in beside it."""
    server = start("--policy", "reject", *CLASSES)
    pc1 = await asyncio.to_thread(login, server, "user2", "PC-1")
    phone = await asyncio.to_thread(login, server, "user2", "Phone", device_class="mobile")
    assert phone["displaced"] == []
    r = await asyncio.to_thread(_post, server, login_body("user2", "PC-2"))
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "session_active"
    assert [(s["device_name"], s["device_class"]) for s in body["sessions"]] == [
        ("PC-1", "desktop")
    ]
    assert pc1["session"]["jti"] == body["sessions"][0]["jti"]


async def test_under_ask_a_phone_signs_in_without_asking_the_desktop(
    start: Callable[..., ServerProcess],
) -> None:
    """Under ask with desktop=1,mobile=1, a phone's login is admitted at once and the
    desktop's socket is told the new list, never asked to give the account up."""
    server = start("--policy", "ask", "--ask-timeout", "10", *CLASSES)
    pc1 = await asyncio.to_thread(login, server, "user3", "PC-1")
    desk_sock = await connected(server, pc1["access_token"])
    started = time.monotonic()
    phone = await asyncio.to_thread(login, server, "user3", "Phone", device_class="mobile")
    assert time.monotonic() - started < 3  # no wait for an answer
    assert phone["displaced"] == []
    message = await desk_sock.next_message()
    assert message["type"] == "sessions", message
    assert desk_sock.conn.close_code is None
    await desk_sock.conn.close()
