"""The network client against a real server process, on a plain asyncio loop (no Qt)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from desktop_app.api import Device, NoSuchSession, SessionEnded
from desktop_app.client import Client, ConfirmTakeover
from desktop_app.session import FailureKind, SessionMachine, State
from shared.messages import Session
from shared.reasons import EndReason
from tests.desktop.helpers import (
    Recorder,
    api_get,
    api_login,
    eventually,
    in_thread,
    patient_backoff,
    quick_backoff,
    silent_server,
    tls_listener,
)
from tests.desktop.proxy import Proxy
from tests.support.server import ServerProcess, free_port


async def never(_sessions: tuple[Session, ...]) -> bool:
    raise AssertionError("no takeover question expected")


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """Ask for it after the server fixture, so it closes its socket before the server stops
    (a server stopping under an open socket waits out its 5 s close deadline)."""
    c = Client(SessionMachine(), Device("dev-PC-1", "PC-1"), backoff=quick_backoff())
    yield c
    await c.aclose()


def test_the_client_modules_import_no_qt() -> None:
    """session, backoff, wire, api and client load in a fresh interpreter without Qt."""
    code = (
        "import sys, desktop_app.session, desktop_app.backoff, desktop_app.wire, "
        "desktop_app.api, desktop_app.client, desktop_app.takeover, desktop_app.login_wait; "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_sign_in_connects_and_the_server_says_hello(
    memory_server: ServerProcess, client: Client
) -> None:
    """A good password leads through logging_in to connected with this PC's session."""
    rec = Recorder(client.machine)
    assert await client.sign_in(memory_server.url, "user1", "password1", never)
    await eventually(lambda: client.machine.state is State.CONNECTED, what="connected")
    session = client.machine.snapshot.session
    assert session is not None
    assert session["device_name"] == "PC-1"
    assert rec.states == [State.LOGGED_OUT, State.LOGGING_IN, State.CONNECTED]
    rows = await client.own_sessions()
    assert [(r["device_name"], r["current"]) for r in rows] == [("PC-1", True)]


async def test_a_second_sign_in_displaces_naming_the_other_pc(
    memory_server: ServerProcess, client: Client
) -> None:
    """PC-2 signing in ends PC-1's session at once, with PC-2's name, and PC-1 stays out."""
    await client.sign_in(memory_server.url, "user1", "password1", never)
    await eventually(lambda: client.machine.state is State.CONNECTED)
    started = time.monotonic()
    pc2 = await api_login(memory_server, device="PC-2")
    assert pc2.status_code == 200
    await eventually(lambda: client.machine.state is State.DISPLACED, wait=2, what="displaced")
    assert time.monotonic() - started < 2
    by = client.machine.snapshot.by
    assert by is not None
    assert by["device_name"] == "PC-2"
    assert by["ip"] == "127.0.0.1"
    assert not client.signed_in
    # No ping-pong: a while later PC-2 still holds the account.
    await asyncio.sleep(1.0)
    assert client.machine.state is State.DISPLACED
    me = await api_get(memory_server, "/api/auth/me", pc2.json()["access_token"])
    assert me.status_code == 200


async def test_wrong_password_is_a_login_failure(
    memory_server: ServerProcess, client: Client
) -> None:
    """A 401 at login leaves the machine logged out with invalid_credentials."""
    assert not await client.sign_in(memory_server.url, "user1", "nope", never)
    assert client.machine.state is State.LOGGED_OUT
    failure = client.machine.snapshot.failure
    assert failure is not None
    assert failure.kind is FailureKind.INVALID_CREDENTIALS


async def test_no_server_is_unreachable(client: Client) -> None:
    """Nothing listening at the address gives the unreachable failure, not a crash."""
    assert not await client.sign_in(f"127.0.0.1:{free_port()}", "user1", "password1", never)
    failure = client.machine.snapshot.failure
    assert failure is not None
    assert failure.kind is FailureKind.UNREACHABLE


async def test_reject_policy_names_the_pc_in_the_way(
    start_server: Callable[..., ServerProcess], client: Client
) -> None:
    """Under reject a 409 becomes session_active carrying the other PC's session."""
    server = start_server("--demo", "--policy", "reject")
    assert (await api_login(server, device="PC-2")).status_code == 200
    assert not await client.sign_in(server.url, "user1", "password1", never)
    failure = client.machine.snapshot.failure
    assert failure is not None
    assert failure.kind is FailureKind.SESSION_ACTIVE
    assert [s["device_name"] for s in failure.sessions] == ["PC-2"]


async def test_confirm_policy_asks_and_takes_over_only_on_yes(
    start_server: Callable[..., ServerProcess], client: Client
) -> None:
    """Under confirm, "no" changes nothing; "yes" retries with takeover and displaces PC-2."""
    server = start_server("--demo", "--policy", "confirm")
    pc2_token = (await api_login(server, device="PC-2")).json()["access_token"]
    asked: list[list[str]] = []

    def answer(value: bool) -> ConfirmTakeover:
        async def confirm(sessions: tuple[Session, ...]) -> bool:
            asked.append([s["device_name"] for s in sessions])
            return value

        return confirm

    assert not await client.sign_in(server.url, "user1", "password1", answer(False))
    failure = client.machine.snapshot.failure
    assert failure is not None
    assert failure.kind is FailureKind.DECLINED
    assert (await api_get(server, "/api/auth/me", pc2_token)).status_code == 200

    assert await client.sign_in(server.url, "user1", "password1", answer(True))
    await eventually(lambda: client.machine.state is State.CONNECTED)
    assert asked == [["PC-2"], ["PC-2"]]
    me = await api_get(server, "/api/auth/me", pc2_token)
    assert me.json()["error"] == "session_displaced"


async def test_sign_out_ends_the_session_on_the_server(
    start_server: Callable[..., ServerProcess], client: Client
) -> None:
    """After Sign out the account is free: under reject another PC may sign in."""
    server = start_server("--demo", "--policy", "reject")
    await client.sign_in(server.url, "user1", "password1", never)
    await eventually(lambda: client.machine.state is State.CONNECTED)
    assert (await api_login(server, device="PC-2")).status_code == 409
    rec = Recorder(client.machine)
    await client.sign_out()
    assert rec.states == [State.CONNECTED, State.LOGGED_OUT]
    assert client.machine.snapshot.reason is None
    assert (await api_login(server, device="PC-2")).status_code == 200


async def test_an_admin_kick_is_revoked_not_displaced(
    memory_server: ServerProcess, client: Client
) -> None:
    """DELETE /api/admin/users/user1/sessions moves the app to revoked (reason admin)."""
    await client.sign_in(memory_server.url, "user1", "password1", never)
    await eventually(lambda: client.machine.state is State.CONNECTED)
    admin = (await api_login(memory_server, "admin", "CONSOLE")).json()["access_token"]
    async with httpx.AsyncClient() as http:
        r = await http.delete(
            memory_server.url + "/api/admin/users/user1/sessions",
            headers={"Authorization": f"Bearer {admin}"},
        )
    assert r.status_code == 200
    await eventually(lambda: client.machine.state is State.REVOKED, wait=2)
    assert client.machine.snapshot.reason is EndReason.ADMIN
    assert client.machine.snapshot.by is None


async def test_a_cut_network_reconnects_and_a_displacement_meanwhile_is_learned_on_return(
    memory_server: ServerProcess, client: Client
) -> None:
    """A dead link means reconnecting (never an ending); back online, the tombstone speaks."""
    proxy = await Proxy(memory_server.port).start()
    try:
        await client.sign_in(proxy.url, "user1", "password1", never)
        await eventually(lambda: client.machine.state is State.CONNECTED)
        rec = Recorder(client.machine)
        await proxy.cut()
        await eventually(lambda: client.machine.state is State.RECONNECTING)
        assert (await api_login(memory_server, device="PC-2")).status_code == 200
        await asyncio.sleep(0.5)  # several refused attempts: still just reconnecting
        assert client.machine.state is State.RECONNECTING
        await proxy.restore()
        await eventually(lambda: client.machine.state is State.DISPLACED, what="displaced")
        by = client.machine.snapshot.by
        assert by is not None
        assert by["device_name"] == "PC-2"
        assert rec.states == [State.CONNECTED, State.RECONNECTING, State.DISPLACED]
    finally:
        await proxy.close()


async def test_quitting_closes_the_socket_with_1000(
    memory_server: ServerProcess, client: Client
) -> None:
    """aclose sends a 1000 close frame on the wire and leaves no task running."""
    proxy = await Proxy(memory_server.port).start()
    try:
        await client.sign_in(proxy.url, "user1", "password1", never)
        await eventually(lambda: client.machine.state is State.CONNECTED)
        await client.aclose()
        ws_links = [code for link, code in zip(proxy.links, proxy.close_codes_sent(), strict=True)
                    if link.upstream_bytes.startswith(b"GET /ws")]  # fmt: skip
        assert ws_links == [1000]
        assert client.machine.state is State.LOGGED_OUT
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert [t.get_name() for t in others if "socket" in t.get_name()] == []
    finally:
        await proxy.close()


async def test_a_rest_call_learns_of_the_displacement_when_the_socket_cannot(
    memory_server: ServerProcess, client: Client
) -> None:
    """With sockets refused but HTTP through, a 401 session_displaced on a REST call ends it."""
    proxy = await Proxy(memory_server.port).start()
    try:
        await client.sign_in(proxy.url, "user1", "password1", never)
        await eventually(lambda: client.machine.state is State.CONNECTED)
        proxy.refuse = b"GET /ws"
        await proxy.cut()
        await proxy.restore()
        await eventually(lambda: client.machine.state is State.RECONNECTING)
        assert (await api_login(memory_server, device="PC-2")).status_code == 200
        await asyncio.sleep(0.3)
        assert client.machine.state is State.RECONNECTING  # the socket cannot tell it
        with pytest.raises(SessionEnded):
            await client.own_sessions()
        assert client.machine.snapshot.state is State.DISPLACED
        by = client.machine.snapshot.by
        assert by is not None
        assert by["device_name"] == "PC-2"
        assert not client.signed_in
    finally:
        await proxy.close()


async def test_too_many_failures_are_rate_limited_with_the_wait(
    start_server: Callable[..., ServerProcess], client: Client
) -> None:
    """After the server's failure limit a sign-in reports rate_limited and how long to wait."""
    server = start_server("--demo", "--max-failures-user", "2")
    for _ in range(2):
        assert not await client.sign_in(server.url, "user1", "wrong", never)
    assert not await client.sign_in(server.url, "user1", "password1", never)
    failure = client.machine.snapshot.failure
    assert failure is not None
    assert failure.kind is FailureKind.RATE_LIMITED
    assert failure.retry_after is not None
    assert 0 < failure.retry_after <= 15 * 60


async def test_a_restarted_memory_server_ends_the_session_as_server_reset_over_the_socket(
    memory_server: ServerProcess, client: Client
) -> None:
    """Reconnecting to a memory server restarted with the same secret ends as server_reset."""
    await client.sign_in(memory_server.url, "user1", "password1", never)
    await eventually(lambda: client.machine.state is State.CONNECTED)
    rec = Recorder(client.machine)
    await in_thread(memory_server.restart)
    await eventually(lambda: client.machine.snapshot.ended, wait=10, what="an ending")
    assert client.machine.state is State.SERVER_RESET
    assert client.machine.snapshot.reason is EndReason.SERVER_RESET
    assert rec.states[-1] is State.SERVER_RESET
    assert not client.signed_in


async def test_a_rest_call_to_a_restarted_memory_server_ends_the_session_as_server_reset(
    memory_server: ServerProcess, client: Client
) -> None:
    """With sockets refused, GET /api/sessions after the restart answers 401 session_reset."""
    proxy = await Proxy(memory_server.port).start()
    try:
        await client.sign_in(proxy.url, "user1", "password1", never)
        await eventually(lambda: client.machine.state is State.CONNECTED)
        proxy.refuse = b"GET /ws"
        await in_thread(memory_server.restart)
        await eventually(lambda: client.machine.state is State.RECONNECTING)
        with pytest.raises(SessionEnded) as ended:
            await client.own_sessions()
        assert ended.value.ending.reason is EndReason.SERVER_RESET
        assert client.machine.state is State.SERVER_RESET
        assert not client.signed_in
    finally:
        await proxy.close()


async def test_a_kept_token_resumes_the_session_without_a_password(
    memory_server: ServerProcess, client: Client
) -> None:
    """resume with a live token goes reconnecting → connected and learns its session."""
    token = (await api_login(memory_server, device="PC-1")).json()["access_token"]
    rec = Recorder(client.machine)
    assert client.resume(memory_server.url, "user1", token)
    await eventually(lambda: client.machine.state is State.CONNECTED, what="connected")
    session = client.machine.snapshot.session
    assert session is not None
    assert session["device_name"] == "PC-1"
    assert rec.states == [State.LOGGED_OUT, State.RECONNECTING, State.CONNECTED]
    assert client.held is not None
    assert client.held.token == token


async def test_resuming_a_session_that_ended_meanwhile_ends_with_the_reason(
    memory_server: ServerProcess, client: Client
) -> None:
    """A kept token whose session was displaced while the app was closed ends as displaced."""
    token = (await api_login(memory_server, device="PC-1")).json()["access_token"]
    assert (await api_login(memory_server, device="PC-2")).status_code == 200
    assert client.resume(memory_server.url, "user1", token)
    await eventually(lambda: client.machine.snapshot.ended, what="an ending")
    assert client.machine.state is State.DISPLACED
    by = client.machine.snapshot.by
    assert by is not None
    assert by["device_name"] == "PC-2"
    assert client.held is None


async def test_a_server_answering_again_is_rejoined_within_a_second(
    memory_server: ServerProcess,
) -> None:
    """With a 30 s backoff, the socket is back within ~1 s of the server answering again."""
    proxy = await Proxy(memory_server.port).start()
    c = Client(SessionMachine(), Device("dev-PC-1", "PC-1"), backoff=patient_backoff())
    try:
        await c.sign_in(proxy.url, "user1", "password1", never)
        await eventually(lambda: c.machine.state is State.CONNECTED)
        await proxy.cut()
        await eventually(lambda: c.machine.state is State.RECONNECTING)
        await asyncio.sleep(1.0)  # refused meanwhile: the probe keeps failing
        assert c.machine.state is State.RECONNECTING
        assert c.machine.snapshot.retry_in == 30
        await proxy.restore()
        back = time.monotonic()
        await eventually(lambda: c.machine.state is State.CONNECTED, wait=5, what="rejoined")
        # About 0.6 s by design (a probe every 0.375-0.625 s, then the socket); the slack
        # is for a loaded test machine. The backoff alone would take 30 s.
        assert time.monotonic() - back < 2.5
    finally:
        await c.aclose()
        await proxy.close()


async def test_retry_now_reconnects_at_once_and_starts_the_backoff_over(
    memory_server: ServerProcess,
) -> None:
    """While the probe cannot tell (health checks dropped), only retry_now ends a 30 s wait."""
    proxy = await Proxy(memory_server.port).start()
    c = Client(SessionMachine(), Device("dev-PC-1", "PC-1"), backoff=patient_backoff())
    try:
        await c.sign_in(proxy.url, "user1", "password1", never)
        await eventually(lambda: c.machine.state is State.CONNECTED)
        await proxy.cut()
        await eventually(lambda: c.machine.state is State.RECONNECTING)
        proxy.refuse = b"GET /healthz"
        await proxy.restore()
        await asyncio.sleep(1.5)
        assert c.machine.state is State.RECONNECTING  # the probe is blind, the wait is 30 s
        c.retry_now()
        await eventually(lambda: c.machine.state is State.CONNECTED, wait=10, what="rejoined")
    finally:
        await c.aclose()
        await proxy.close()


async def test_a_sign_out_while_offline_is_pending_and_delivered_once_back(
    memory_server: ServerProcess, client: Client
) -> None:
    """Signing out offline returns the undelivered sign-out; deliver() ends it on the server."""
    proxy = await Proxy(memory_server.port).start()
    try:
        await client.sign_in(proxy.url, "user1", "password1", never)
        await eventually(lambda: client.machine.state is State.CONNECTED)
        held = client.held
        assert held is not None
        await proxy.cut()
        await eventually(lambda: client.machine.state is State.RECONNECTING)
        pending = await client.sign_out()
        assert client.machine.state is State.LOGGED_OUT
        assert pending is not None
        assert (pending.server, pending.username, pending.token) == (proxy.url, "user1", held.token)
        assert (await api_get(memory_server, "/api/auth/me", held.token)).status_code == 200
        wake = asyncio.Event()
        delivery = asyncio.get_running_loop().create_task(client.deliver(pending, wake))
        await asyncio.sleep(0.5)
        assert not delivery.done()
        await proxy.restore()
        await asyncio.wait_for(delivery, 5)
        me = await api_get(memory_server, "/api/auth/me", held.token)
        assert me.json()["error"] == "session_logged_out"
    finally:
        await proxy.close()


async def test_a_hung_server_is_a_timeout_and_a_cancel_returns_to_logged_out() -> None:
    """No answer within the HTTP timeout → timeout; cancelling the sign-in → cancelled."""
    c = Client(SessionMachine(), Device("dev-PC-1", "PC-1"), http_timeout=0.5)
    try:
        async with silent_server() as url:
            assert not await c.sign_in(url, "user1", "password1", never)
            failure = c.machine.snapshot.failure
            assert failure is not None
            assert failure.kind is FailureKind.TIMEOUT
            task = asyncio.get_running_loop().create_task(
                c.sign_in(url, "user1", "password1", never)
            )
            await eventually(lambda: c.machine.state is State.LOGGING_IN)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            failure = c.machine.snapshot.failure
            assert c.machine.state is State.LOGGED_OUT
            assert failure is not None
            assert failure.kind is FailureKind.CANCELLED
    finally:
        await c.aclose()


async def test_an_untrusted_certificate_is_a_tls_failure(client: Client, tmp_path: Path) -> None:
    """A certificate the system does not trust is reported as TLS, not as an exception's text."""
    async with tls_listener(tmp_path) as address:
        assert not await client.sign_in(address, "user1", "password1", never)
    failure = client.machine.snapshot.failure
    assert failure is not None
    assert failure.kind is FailureKind.TLS


async def test_the_sessions_list_follows_the_account_and_another_pc_can_be_ended(
    start_server: Callable[..., ServerProcess], client: Client
) -> None:
    """Fetched once, then kept by messages; end_session ends PC-2 naming PC-1, then 404s."""
    server = start_server("--demo", "--max-sessions", "3")
    assert await client.sign_in(server.url, "user1", "password1", never)
    await eventually(lambda: client.machine.state is State.CONNECTED)

    def listed() -> list[tuple[str, bool]]:
        rows = client.sessions.rows or ()
        return sorted((r["device_name"], bool(r.get("current"))) for r in rows)

    assert await client.load_sessions()
    assert listed() == [("PC-1", True)]
    pc2 = (await api_login(server, device="PC-2")).json()
    await eventually(lambda: listed() == [("PC-1", True), ("PC-2", False)], what="PC-2 listed")

    await client.end_session(pc2["session"]["id"])
    await eventually(lambda: listed() == [("PC-1", True)], what="PC-2 gone from the list")
    gone = await api_get(server, "/api/auth/me", pc2["access_token"])
    assert (gone.status_code, gone.json()["error"]) == (401, "session_logged_out")
    assert gone.json()["by"]["device_name"] == "PC-1"
    with pytest.raises(NoSuchSession):
        await client.end_session(pc2["session"]["id"])
    await client.end_other_sessions()  # nobody else left: still fine
    assert client.machine.state is State.CONNECTED
    await client.sign_out()
    assert client.sessions.rows is None
