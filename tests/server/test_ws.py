"""The /ws channel on a real one-worker server: hello, displacement, every terminal close."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.clients import auth, connected, login, open_socket
from tests.support.server import REDIS_TEST_URL, ServerProcess, timeout


async def test_hello_names_the_session(memory_server: ServerProcess) -> None:
    """A good token gets a hello carrying its session and the heartbeat period."""
    body = login(memory_server)
    sock = await open_socket(memory_server, body["access_token"])
    hello = await sock.next_message()
    assert hello == {"type": "hello", "session": body["session"], "heartbeat": 20.0}
    await sock.conn.close()


async def test_displaced_socket_is_told_who_and_closed_4001(memory_server: ServerProcess) -> None:
    """PC-2's login pushes displaced naming PC-2 to PC-1's socket, then closes it with 4001."""
    pc1 = login(memory_server, "user1", "PC-1")
    sock = await connected(memory_server, pc1["access_token"])
    pc2 = await asyncio.to_thread(login, memory_server, "user1", "PC-2")
    message = await sock.next_message()
    assert message["type"] == "displaced"
    assert message["by"]["device_name"] == "PC-2"
    assert message["by"]["ip"] == "127.0.0.1"
    assert abs(message["by"]["at"] - pc2["session"]["created_at"]) < 5
    assert await sock.until_closed() == 4001
    me = memory_server.url + "/api/auth/me"
    r = await asyncio.to_thread(httpx.get, me, headers=auth(pc1["access_token"]))
    assert r.json()["error"] == "session_displaced"
    # PC-1 waking up later and reconnecting hears the same story.
    again = await open_socket(memory_server, pc1["access_token"])
    assert await again.next_message() == message
    assert await again.until_closed() == 4001


async def test_logout_closes_the_socket_4002(memory_server: ServerProcess) -> None:
    """Signing out ends the session's socket with logged_out and 4002."""
    token = login(memory_server)["access_token"]
    sock = await connected(memory_server, token)
    await asyncio.to_thread(httpx.post, memory_server.url + "/api/auth/logout", headers=auth(token))
    assert await sock.next_message() == {"type": "logged_out"}
    assert await sock.until_closed() == 4002


async def test_admin_kick_closes_the_socket_4003(memory_server: ServerProcess) -> None:
    """An admin ending a user's sessions sends revoked(admin) and closes with 4003."""
    token = login(memory_server, "user2", "PC-9")["access_token"]
    admin = login(memory_server, "admin", "Console")["access_token"]
    sock = await connected(memory_server, token)
    await asyncio.to_thread(
        httpx.delete,
        memory_server.url + "/api/admin/users/user2/sessions",
        headers=auth(admin),
    )
    assert await sock.next_message() == {"type": "revoked", "reason": "admin"}
    assert await sock.until_closed() == 4003


@pytest.mark.parametrize("token", [None, "garbage", "a.b.c"])
async def test_bad_tokens_get_4401(memory_server: ServerProcess, token: str | None) -> None:
    """No token or a malformed one is told invalid_token and closed with 4401."""
    sock = await open_socket(memory_server, token)
    assert await sock.next_message() == {"type": "invalid_token"}
    assert await sock.until_closed() == 4401


async def test_data_frame_closes_that_socket_only_1008(memory_server: ServerProcess) -> None:
    """A data frame closes only its own socket (1008); other sockets and the server live on."""
    t1 = login(memory_server, "user1", "PC-1")["access_token"]
    t2 = login(memory_server, "user2", "PC-2")["access_token"]
    rude, calm = await connected(memory_server, t1), await connected(memory_server, t2)
    await rude.conn.send('{"type": "hello"}')
    assert await rude.until_closed() == 1008
    big = await connected(memory_server, t1)
    await big.conn.send("x" * (65 * 1024))
    assert await big.until_closed() == 1009
    await calm.conn.ping()
    assert calm.conn.close_code is None
    health = await asyncio.to_thread(httpx.get, memory_server.url + "/healthz")
    assert health.status_code == 200
    await calm.conn.close()


async def test_foreign_origin_is_refused(memory_server: ServerProcess) -> None:
    """A handshake with an Origin not on the allowlist gets 403 before any socket opens."""
    token = login(memory_server)["access_token"]
    with pytest.raises(InvalidStatus) as info:
        await connect(
            memory_server.ws_url,
            additional_headers=auth(token),
            origin="https://evil.example",  # type: ignore[arg-type]
            open_timeout=timeout(5),
        )
    assert info.value.response.status_code == 403


async def test_allowed_origin_connects(start_server: object) -> None:
    """An Origin on --allowed-origins may open the socket."""
    server = start_server("--demo", "--allowed-origins", "https://ok.example")  # type: ignore[operator]
    token = login(server)["access_token"]
    conn = await connect(
        server.ws_url,
        additional_headers=auth(token),
        origin="https://ok.example",  # type: ignore[arg-type]
        open_timeout=timeout(5),
    )
    assert '"hello"' in str(await conn.recv())
    await conn.close()


async def test_live_socket_keeps_its_session_past_the_idle_ttl(start_server: object) -> None:
    """A connected, answering socket refreshes its session, so it never idles out."""
    server = start_server(  # type: ignore[operator]
        "--demo", "--ping-interval", "0.3", "--recheck-interval", "0.3", "--idle-ttl", "1"
    )
    token = login(server)["access_token"]
    sock = await connected(server, token)
    await asyncio.sleep(timeout(2.5))  # well past the idle TTL
    r = await asyncio.to_thread(httpx.get, server.url + "/api/auth/me", headers=auth(token))
    assert r.status_code == 200
    await sock.conn.close()


async def test_peer_that_stops_answering_pings_is_dropped(start_server: object) -> None:
    """A socket whose peer never answers a ping is dropped by the heartbeat round."""
    server = start_server("--demo", "--ping-interval", "0.3")  # type: ignore[operator]
    token = login(server)["access_token"]
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(
        (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    assert (await reader.readline()).startswith(b"HTTP/1.1 101")

    def sockets() -> str:
        text = httpx.get(server.url + "/metrics").text
        return next(line for line in text.splitlines() if line.startswith("loginguard_sockets "))

    assert await asyncio.to_thread(sockets) == "loginguard_sockets 1.0"
    # Never read again, never answer: the server must give up on us.
    deadline = asyncio.get_running_loop().time() + timeout(5)
    while await asyncio.to_thread(sockets) != "loginguard_sockets 0.0":
        assert asyncio.get_running_loop().time() < deadline, "dead peer was never dropped"
        await asyncio.sleep(0.1)
    writer.close()


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_session_ended_before_its_first_socket_is_told_at_once(
    start_server: object, redis_prefix: str, store: str
) -> None:
    """A session displaced or logged out before its socket opens gets the ending, not hello."""
    args = ["--demo"]
    if store == "redis":
        args += ["--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix]
    server = start_server(*args)  # type: ignore[operator]
    first = login(server, device="PC-1")["access_token"]
    login(server, device="PC-2")  # displaces PC-1 on this same worker
    sock = await open_socket(server, first)
    assert (await sock.next_message())["type"] == "displaced"
    assert await sock.until_closed() == 4001
    token = login(server, device="PC-3")["access_token"]
    r = await asyncio.to_thread(httpx.post, server.url + "/api/auth/logout", headers=auth(token))
    assert r.status_code == 204
    sock = await open_socket(server, token)
    assert (await sock.next_message())["type"] == "logged_out"
    assert await sock.until_closed() == 4002


async def test_session_idled_out_before_its_first_socket_is_told_so(start_server: object) -> None:
    """A session left idle past its TTL before its socket opens is told it expired."""
    server = start_server("--demo", "--idle-ttl", "1")  # type: ignore[operator]
    token = login(server)["access_token"]
    await asyncio.sleep(timeout(1.5))
    sock = await open_socket(server, token)
    assert (await sock.next_message())["type"] == "expired"
    await sock.until_closed()


async def test_a_client_that_pings_keeps_its_socket(memory_server: ServerProcess) -> None:
    """Client pings (the websockets library sends them by default) are answered, not refused."""
    token = login(memory_server)["access_token"]
    conn = await connect(
        memory_server.ws_url, additional_headers=auth(token), ping_interval=0.1, ping_timeout=1
    )
    assert '"hello"' in str(await conn.recv())
    await asyncio.sleep(timeout(1.0))  # ten pings, each answered
    assert conn.close_code is None
    await conn.ping()
    await conn.close()
