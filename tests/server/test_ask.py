"""Policy ask over real server processes: PC-2's login waits while PC-1 is asked.

Memory (one worker) and Redis (two workers: the waiting login, PC-1's socket and
PC-1's answer often land on different workers, so everything crosses the event bus).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from server import config
from server.core.asking import REACH
from tests.support.clients import Socket, auth, connected, login
from tests.support.server import REDIS_TEST_URL, ServerProcess, login_body, timeout


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ask_server(
    engine: str, start_server: Callable[..., ServerProcess], redis_prefix: str
) -> Callable[..., ServerProcess]:
    def start(*flags: str) -> ServerProcess:
        args = ["--demo", "--policy", "ask", *flags]
        if engine == "redis":
            args += ["--workers", "2", "--redis-url", REDIS_TEST_URL]
            args += ["--redis-prefix", redis_prefix]
        return start_server(*args)

    return start


@pytest.fixture
def server(ask_server: Callable[..., ServerProcess]) -> ServerProcess:
    return ask_server()


async def _login(server: ServerProcess, device: str, **extra: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=timeout(40)) as http:
        return await http.post("/api/auth/login", json=login_body("user1", device, **extra))


async def _message(sock: Socket, kind: str, wait: float = 5.0) -> dict[str, Any]:
    """The next message of type ``kind``, skipping others (``sessions`` lists)."""
    while True:
        message = await sock.next_message(wait)
        if message["type"] == kind:
            return message


async def _answer(
    server: ServerProcess, token: str, request_id: str, body: object
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        path = f"/api/takeover-requests/{request_id}"
        return await http.post(path, json=body, headers=auth(token))


async def _asked(server: ServerProcess) -> tuple[str, Socket, asyncio.Task[httpx.Response], str]:
    """PC-1 signed in with a socket; PC-2's login waiting; PC-1 holding the request."""
    pc1 = login(server, device="PC-1")["access_token"]
    sock = await connected(server, pc1)
    waiting = asyncio.create_task(_login(server, "PC-2", takeover=True))  # takeover: no bypass
    request = await _message(sock, "takeover_request")
    assert request["by"]["device_name"] == "PC-2"
    assert request["by"]["ip"] == "127.0.0.1"
    assert abs(request["by"]["at"] - time.time()) < 30
    assert 15 <= request["timeout"] <= 20
    assert isinstance(request["id"], str)
    assert len(request["id"]) >= 16
    assert not waiting.done()
    return pc1, sock, waiting, str(request["id"])


async def test_policy_is_public(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.get("/api/auth/policy")
    assert r.status_code == 200
    assert r.json() == {"policy": "ask", "ask_timeout": 20}


async def test_allowed_takeover_admits_the_waiting_pc(server: ServerProcess) -> None:
    pc1, sock, waiting, request_id = await _asked(server)
    answered = await _answer(server, pc1, request_id, {"allow": True})
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"id": request_id, "outcome": "allowed"}
    r = await waiting
    assert r.status_code == 200, r.text
    assert [s["device_name"] for s in r.json()["displaced"]] == ["PC-1"]
    displaced = await _message(sock, "displaced")
    assert displaced["by"]["device_name"] == "PC-2"
    assert await sock.until_closed() == 4001
    # Answering again: the request is over.
    again = await _answer(server, r.json()["access_token"], request_id, {"allow": False})
    assert again.status_code in (403, 409), again.text


async def test_denied_takeover_keeps_pc1(server: ServerProcess) -> None:
    pc1, sock, waiting, request_id = await _asked(server)
    answered = await _answer(server, pc1, request_id, {"allow": False})
    assert answered.json() == {"id": request_id, "outcome": "denied"}
    r = await waiting
    assert r.status_code == 409
    assert r.json() == {"error": "takeover_denied", "outcome": "denied"}
    closed = await _message(sock, "takeover_closed")
    assert closed == {"type": "takeover_closed", "id": request_id, "outcome": "denied"}
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/api/auth/me", headers=auth(pc1))).status_code == 200
    late = await _answer(server, pc1, request_id, {"allow": True})
    assert late.status_code == 409
    assert late.json() == {"error": "takeover_closed", "outcome": "denied"}
    # Declined, PC-2 is not let to ask again at once: refused without a new prompt.
    again = await _login(server, "PC-2")
    assert again.json() == {"error": "takeover_denied", "outcome": "denied"}
    with pytest.raises(TimeoutError):
        await _message(sock, "takeover_request", wait=1)
    await sock.conn.close()


@pytest.mark.parametrize(("default", "status"), [("allow", 200), ("deny", 409)])
async def test_no_answer_in_time(
    ask_server: Callable[..., ServerProcess], default: str, status: int
) -> None:
    server = ask_server("--ask-timeout", "2", "--ask-default", default)
    pc1 = login(server, device="PC-1")["access_token"]
    sock = await connected(server, pc1)
    started = time.monotonic()
    waiting = asyncio.create_task(_login(server, "PC-2"))
    request = await _message(sock, "takeover_request")
    assert request["timeout"] <= 2
    r = await waiting
    assert time.monotonic() - started >= 1.5
    assert r.status_code == status, r.text
    closed = await _message(sock, "takeover_closed")
    assert closed["outcome"] == "timed_out"
    if default == "allow":
        assert await _message(sock, "displaced")
    else:
        assert r.json() == {"error": "takeover_denied", "outcome": "timed_out"}
    await sock.conn.close()


async def test_a_pc_without_a_socket_is_not_waited_for(server: ServerProcess) -> None:
    """PC-1 signed in but holds no socket (crashed, or never connected): nobody is there to
    answer, so PC-2 is admitted once no worker could show the request."""
    login(server, device="PC-1")
    started = time.monotonic()
    r = await _login(server, "PC-2")
    assert r.status_code == 200, r.text
    assert time.monotonic() - started < REACH + 3
    assert [s["device_name"] for s in r.json()["displaced"]] == ["PC-1"]


async def test_cancelled_login_takes_the_request_back(server: ServerProcess) -> None:
    pc1, sock, waiting, request_id = await _asked(server)
    waiting.cancel()  # closes PC-2's connection: the server cancels the handler
    closed = await _message(sock, "takeover_closed")
    assert closed == {"type": "takeover_closed", "id": request_id, "outcome": "cancelled"}
    late = await _answer(server, pc1, request_id, {"allow": True})
    assert late.status_code == 409
    assert late.json()["outcome"] == "cancelled"
    await sock.conn.close()


async def test_one_asking_pc_at_a_time(server: ServerProcess) -> None:
    pc1, sock, waiting, request_id = await _asked(server)
    busy = await _login(server, "PC-3")
    assert busy.status_code == 409
    assert busy.json()["error"] == "takeover_pending"
    assert 1 <= int(busy.headers["retry-after"]) <= 20
    assert busy.json()["retry_after"] == int(busy.headers["retry-after"])
    # PC-2 asking again supersedes its own request; the newer one is shown.
    again = asyncio.create_task(_login(server, "PC-2"))
    closed = await _message(sock, "takeover_closed")
    assert closed == {"type": "takeover_closed", "id": request_id, "outcome": "superseded"}
    first = await waiting
    assert first.status_code == 409
    assert first.json() == {"error": "takeover_denied", "outcome": "superseded"}
    newer = await _message(sock, "takeover_request")
    assert newer["id"] != request_id
    assert (await _answer(server, pc1, newer["id"], {"allow": True})).status_code == 200
    assert (await again).status_code == 200
    await sock.conn.close()


async def test_bad_answers(server: ServerProcess) -> None:
    pc1, sock, waiting, request_id = await _asked(server)
    for body in ({}, {"allow": "yes"}, {"allow": 1}, [True], {"allow": None}):
        r = await _answer(server, pc1, request_id, body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] == "validation_failed"
    async with httpx.AsyncClient(base_url=server.url) as http:
        path = f"/api/takeover-requests/{request_id}"
        r = await http.post(path, content=b"{nope", headers=auth(pc1))
        assert r.status_code == 400
        r = await http.post(path, json={"allow": True})  # no token
        assert r.status_code == 401
    assert (await _answer(server, pc1, "x" * 65, {"allow": True})).status_code == 404
    assert (await _answer(server, pc1, "no-such", {"allow": True})).status_code == 404
    assert not waiting.done()
    # Still pending after all that: PC-1's real answer decides.
    assert (await _answer(server, pc1, request_id, {"allow": False})).status_code == 200
    assert (await waiting).status_code == 409
    await sock.conn.close()


@pytest.mark.parametrize("value", ["0", "0.5", "121", "-3"])
def test_ask_timeouts_that_cannot_work_are_refused(value: str) -> None:
    with pytest.raises(config.ConfigError, match="--ask-timeout"):
        config.load(["--demo", "--ask-timeout", value], env={})


def test_ask_flags_have_environment_twins() -> None:
    env = {"LOGINGUARD_POLICY": "ask", "LOGINGUARD_ASK_TIMEOUT": "45"}
    s = config.load(
        ["--demo", "--ask-default", "deny"], env={**env, "LOGINGUARD_ASK_DEFAULT": "allow"}
    )
    assert (s.policy.value, s.ask_timeout, s.ask_default) == ("ask", 45.0, "deny")
    assert config.load(["--demo"], env={}).ask_default == "allow"


async def test_a_socket_reconnecting_while_asked_is_shown_the_request(
    server: ServerProcess,
) -> None:
    pc1, sock, waiting, request_id = await _asked(server)
    await sock.conn.close()  # a network blip on PC-1
    again = await connected(server, pc1)
    shown = await _message(again, "takeover_request")
    assert shown["id"] == request_id
    assert 1 <= shown["timeout"] <= 20
    assert (await _answer(server, pc1, request_id, {"allow": False})).status_code == 200
    assert (await waiting).json()["outcome"] == "denied"
    await again.conn.close()
