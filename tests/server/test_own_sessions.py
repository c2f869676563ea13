"""A person ends their account's other sessions: one by id, or all but this one.

On the embedded store and on Redis with two workers (the ended PC's socket may
be held by the other worker): the ended PC hears ``logged_out`` naming the PC
that ended it, closes with 4002, and its token is refused with the same details.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.support.clients import auth, connected, login
from tests.support.server import REDIS_TEST_URL, ServerProcess


@pytest.fixture(params=["memory", "redis"])
def server(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess], redis_prefix: str
) -> ServerProcess:
    args = ["--demo", "--max-sessions", "3"]
    if request.param == "redis":
        args += ["--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix]
    return start_server(*args)


def _list(server: ServerProcess, token: str) -> list[dict[str, object]]:
    r = httpx.get(server.url + "/api/sessions", headers=auth(token))
    assert r.status_code == 200, r.text
    return list(r.json()["sessions"])


def _delete(server: ServerProcess, token: str, path: str) -> httpx.Response:
    return httpx.delete(server.url + path, headers=auth(token))


async def test_one_pc_ends_another_by_id(server: ServerProcess) -> None:
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    pc2 = await asyncio.to_thread(login, server, "user1", "PC-2")
    sock1 = await connected(server, pc1["access_token"])
    listed = await asyncio.to_thread(_list, server, pc2["access_token"])
    ids = {row["device_name"]: row["id"] for row in listed}
    assert set(ids) == {"PC-1", "PC-2"}
    assert ids["PC-1"] == pc1["session"]["id"]  # the login names its own session's id too
    r = await asyncio.to_thread(
        _delete, server, pc2["access_token"], f"/api/sessions/{ids['PC-1']}"
    )
    assert r.status_code == 204, r.text
    message = await sock1.next_message()
    assert message["type"] == "logged_out"
    assert message["by"]["device_name"] == "PC-2"
    assert await sock1.until_closed() == 4002
    me = await asyncio.to_thread(
        httpx.get, server.url + "/api/auth/me", headers=auth(pc1["access_token"])
    )
    assert me.status_code == 401
    assert me.json()["error"] == "session_logged_out"
    assert me.json()["by"]["device_name"] == "PC-2"
    left = await asyncio.to_thread(_list, server, pc2["access_token"])
    assert [row["device_name"] for row in left] == ["PC-2"]


async def test_end_all_other_sessions_keeps_this_one(server: ServerProcess) -> None:
    tokens = [
        (await asyncio.to_thread(login, server, "user1", f"PC-{i}"))["access_token"]
        for i in (1, 2, 3)
    ]
    sockets = [await connected(server, token) for token in tokens]
    r = await asyncio.to_thread(_delete, server, tokens[2], "/api/sessions?others=true")
    assert r.status_code == 204, r.text
    for sock in sockets[:2]:
        message = await sock.next_message()
        assert (message["type"], message["by"]["device_name"]) == ("logged_out", "PC-3")
        assert await sock.until_closed() == 4002
    assert [row["device_name"] for row in await asyncio.to_thread(_list, server, tokens[2])] == [
        "PC-3"
    ]
    await sockets[2].conn.close()


async def test_what_cannot_be_ended(server: ServerProcess) -> None:
    mine = await asyncio.to_thread(login, server, "user1", "PC-1")
    theirs = await asyncio.to_thread(login, server, "user2", "PC-9")
    token = mine["access_token"]
    cases = {
        "/api/sessions": 400,  # ending every session but this one must be asked for plainly
        "/api/sessions?others=1": 400,
        f"/api/sessions/{theirs['session']['id']}": 404,  # another account's session
        "/api/sessions/no-such-session": 404,
        "/api/sessions/" + "x" * 5000: 404,
        "/api/sessions/%00%ff": 404,
    }
    for path, status in cases.items():
        r = await asyncio.to_thread(_delete, server, token, path)
        assert r.status_code == status, (path, r.text)
        assert "error" in r.json()
    assert await asyncio.to_thread(_list, server, theirs["access_token"])  # untouched
    r = await asyncio.to_thread(_delete, server, "not-a-token", "/api/sessions?others=true")
    assert r.status_code == 401


async def test_a_pc_may_end_its_own_session_by_id(server: ServerProcess) -> None:
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    path = f"/api/sessions/{pc1['session']['id']}"
    r = await asyncio.to_thread(_delete, server, pc1["access_token"], path)
    assert r.status_code == 204
    me = await asyncio.to_thread(
        httpx.get, server.url + "/api/auth/me", headers=auth(pc1["access_token"])
    )
    assert me.json()["error"] == "session_logged_out"
    assert "by" not in me.json()  # signed itself out


async def test_no_other_pc_learns_a_sessions_device_id(server: ServerProcess) -> None:
    """A login with a session's device_id replaces it under any policy: lists shown to
    other PCs, and the 409 of a refused login, must not carry it."""
    pc1 = await asyncio.to_thread(login, server, "user1", "PC-1")
    pc2 = await asyncio.to_thread(login, server, "user1", "PC-2")
    listed = await asyncio.to_thread(_list, server, pc2["access_token"])
    mine = [row for row in listed if row["current"]]
    theirs = [row for row in listed if not row["current"]]
    assert [row["device_id"] for row in mine] == [pc2["session"]["device_id"]]
    assert theirs
    assert all("device_id" not in row for row in theirs)
    assert "device_id" in pc1["session"]  # a PC's own session keeps it
