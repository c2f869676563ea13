"""Endings as a person sees them: the main window goes, the login window and a dialog
saying why (naming the other PC for a displacement) come; network trouble never looks
like that."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from desktop_app.session import State
from tests.desktop.helpers import api_get, api_login, eventually, in_thread
from tests.desktop.proxy import Proxy
from tests.desktop.ui.conftest import Apps
from tests.support.server import REDIS_TEST_URL, ServerProcess


async def test_a_sign_in_elsewhere_shows_login_and_names_the_other_pc_within_2_s(
    apps: Apps, memory_server: ServerProcess, state_lines: Callable[[], list[str]]
) -> None:
    """PC-2 signing in through the API → within 2 s the login window and the dialog naming PC-2."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(memory_server.url)
        started = time.monotonic()
        pc2 = await api_login(memory_server, device="PC-2")
        assert pc2.status_code == 200
        await eventually(app.ending_text, wait=2, what="the displaced dialog")
        assert time.monotonic() - started < 2
        assert app.c.login.isVisible()
        assert not app.c.main.isVisible()
        text = app.ending_text()
        assert text.startswith(
            "You were signed out because your account signed in on PC-2 (127.0.0.1) at "
        )
        displaced = [line for line in state_lines() if line.startswith("state=displaced")]
        assert len(displaced) == 1
        assert " by=PC-2 " in displaced[0]

        # Never signs in again by itself; PC-2 keeps the account.
        await asyncio.sleep(1.0)
        assert app.state is State.DISPLACED
        assert (
            await api_get(memory_server, "/api/auth/me", pc2.json()["access_token"])
        ).status_code == 200

        box = app.c.ending_box
        assert box is not None
        app.click(box.button(box.StandardButton.Ok))
        await app.until(State.LOGGED_OUT)
        assert app.c.login.isVisible()
        assert app.open_boxes() == []
        assert app.c.login.message.text() == text  # the reason stays under the form


async def test_two_apps_on_one_machine_displace_each_other_once(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """Two profiles are two PCs: the second app's sign-in displaces the first, and that is all."""
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(memory_server.url)
        await pc2.connected(memory_server.url)
        await eventually(pc1.ending_text, wait=2, what="PC-1's dialog")
        assert "signed in on PC-2 (127.0.0.1)" in pc1.ending_text()
        await asyncio.sleep(1.0)
        assert (pc1.state, pc2.state) == (State.DISPLACED, State.CONNECTED)
        assert pc2.states.states == [State.LOGGED_OUT, State.LOGGING_IN, State.CONNECTED]


async def test_displaced_while_offline_shows_the_dialog_on_reconnect(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """Cut off while PC-2 signs in: "Reconnecting" without a dialog, then the dialog on return."""
    async with apps() as launch:
        proxy = await Proxy(memory_server.port).start()
        try:
            app = launch("PC-1")
            await app.connected(proxy.url)
            await proxy.cut()
            await app.until(State.RECONNECTING)
            assert (await api_login(memory_server, device="PC-2")).status_code == 200
            await asyncio.sleep(0.5)
            assert app.state is State.RECONNECTING
            assert app.c.main.isVisible()
            assert app.c.main.connection_text()[0].startswith(("Reconnecting", "Offline"))
            assert app.open_boxes() == []
            await proxy.restore()
            await eventually(app.ending_text, what="the displaced dialog after reconnecting")
            assert "signed in on PC-2 (127.0.0.1)" in app.ending_text()
            assert app.c.login.isVisible()
        finally:
            await proxy.close()


@pytest.mark.redis
async def test_a_server_restart_under_a_connected_app_reconnects_without_a_dialog(
    apps: Apps,
    start_server: Callable[..., ServerProcess],
    redis_prefix: str,
) -> None:
    """Restarting a Redis-backed server is a blip: reconnecting, then connected, no dialog."""
    async with apps() as launch:
        server = start_server(
            "--demo", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix
        )
        app = launch("PC-1")
        await app.connected(server.url)
        session = app.c.machine.snapshot.session
        await in_thread(server.stop)
        await app.until(State.RECONNECTING)
        await in_thread(server.start)
        await app.until(State.CONNECTED, wait=10)
        assert app.c.machine.snapshot.session == session
        assert app.states.states[-3:] == [State.CONNECTED, State.RECONNECTING, State.CONNECTED]
        assert app.open_boxes() == []
        assert app.c.main.isVisible()
        assert app.c.main.connection_text() == ("Connected", "ok")


async def test_an_expired_session_gets_its_own_wording(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """When the token's lifetime ends the dialog says the session expired, not displaced."""
    server = start_server("--demo", "--token-ttl", "3", "--recheck-interval", "0.5")
    async with apps() as launch:
        app = launch()
        await app.connected(server.url)
        text = await eventually(app.ending_text, wait=8, what="the expired dialog")
        assert app.state is State.EXPIRED
        assert text.startswith("You were signed out because your session expired")
        assert app.c.login.isVisible()


async def test_an_admin_kick_gets_its_own_wording(apps: Apps, memory_server: ServerProcess) -> None:
    """An administrator ending the session is named as such in the dialog."""
    async with apps() as launch:
        app = launch()
        await app.connected(memory_server.url)
        admin = (await api_login(memory_server, "admin", "CONSOLE")).json()["access_token"]
        async with httpx.AsyncClient() as http:
            kicked = await http.delete(
                memory_server.url + "/api/admin/users/user1/sessions",
                headers={"Authorization": f"Bearer {admin}"},
            )
        assert kicked.status_code == 200
        text = await eventually(app.ending_text, wait=2, what="the revoked dialog")
        assert text == "You were signed out by an administrator."
        assert app.state is State.REVOKED


async def test_a_memory_server_restarted_under_a_connected_app_shows_the_reset_dialog(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """A memory server restarted with the same secret forgets the sign-in: the reset dialog."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(memory_server.url)
        await in_thread(memory_server.restart)
        text = await eventually(app.ending_text, wait=10, what="the reset dialog")
        assert app.state is State.SERVER_RESET
        assert text == (
            "The server was restarted or reset and no longer knows this sign-in. Sign in again."
        )
        assert app.c.login.isVisible()
        assert not app.c.main.isVisible()
        assert app.c.login.message.text() == text
        await asyncio.sleep(0.5)
        assert app.state is State.SERVER_RESET  # never signs in again by itself
