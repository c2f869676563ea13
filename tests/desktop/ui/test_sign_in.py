"""Signing in through the real widgets against a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from desktop_app.session import State
from tests.desktop.helpers import api_get, api_login, eventually
from tests.desktop.ui.conftest import Apps
from tests.support.server import ServerProcess, free_port


async def test_typing_and_clicking_signs_in_and_shows_connected(
    apps: Apps, memory_server: ServerProcess, state_lines: Callable[[], list[str]]
) -> None:
    """Sign in by keyboard and mouse → the main window names the user and says Connected."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(memory_server.url)
        main = app.c.main
        assert main.isVisible()
        assert not app.c.login.isVisible()
        assert main.heading.text() == "Signed in as user1"
        assert main.device.text() == "PC-1"
        assert main.connection_text() == ("Connected", "ok")
        assert [line.split()[0] for line in state_lines()] == [
            "state=logging_in",
            "state=connected",
        ]


async def test_wrong_password_stays_on_the_login_window_with_a_message(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """A wrong password shows "Wrong username or password." and signs nobody in."""
    async with apps() as launch:
        app = launch()
        await app.sign_in(memory_server.url, "user1", "wrong")
        await eventually(lambda: app.c.login.message.text(), what="a message")
        assert app.c.login.message.text() == "Wrong username or password."
        assert app.state is State.LOGGED_OUT
        assert app.c.login.isVisible()
        assert not app.c.main.isVisible()
        assert app.c.login.password.text() == ""
        assert app.c.login.sign_in.isEnabled()


async def test_a_server_that_is_down_is_reported_plainly(apps: Apps) -> None:
    """With nothing listening the login window says it cannot reach the server, and the
    password stays typed."""
    async with apps() as launch:
        app = launch()
        address = f"http://127.0.0.1:{free_port()}"
        await app.sign_in(address)
        await eventually(lambda: app.c.login.message.text(), what="a message")
        assert app.c.login.message.text() == (
            f"Cannot reach the server at {address}. Check the address and your network."
        )
        assert app.state is State.LOGGED_OUT
        assert app.c.login.password.text() == "password1"  # kept: only a wrong one is cleared


async def test_confirm_policy_asks_before_signing_the_other_pc_out(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """Under confirm the app asks, naming the other PC; Cancel keeps it, Sign in here ends it."""
    async with apps() as launch:
        server = start_server("--demo", "--policy", "confirm")
        pc2 = (await api_login(server, device="PC-2")).json()["access_token"]
        app = launch()

        await app.sign_in(server.url)
        question = await eventually(lambda: app.c.question, what="the takeover question")
        assert question.box.isVisible()
        assert question.box.text().startswith("This account is in use on PC-2 since ")
        assert question.box.text().endswith("Sign in here and sign out the other PC?")
        app.click(question.no)
        await app.until(State.LOGGED_OUT)
        assert app.c.login.message.text() == "Not signed in. The other PC stays signed in."
        assert (await api_get(server, "/api/auth/me", pc2)).status_code == 200

        await app.sign_in(server.url)
        question = await eventually(lambda: app.c.question, what="the takeover question again")
        app.click(question.yes)
        await app.until(State.CONNECTED)
        assert app.c.main.isVisible()
        assert (await api_get(server, "/api/auth/me", pc2)).json()["error"] == "session_displaced"


async def test_sign_out_returns_to_login_without_a_dialog_and_frees_the_account(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """Sign out shows the login window, no dialog, and the server lets another PC in."""
    async with apps() as launch:
        server = start_server("--demo", "--policy", "reject")
        app = launch()
        await app.connected(server.url)
        app.click(app.c.main.sign_out)
        await app.until(State.LOGGED_OUT)
        assert app.c.login.isVisible()
        assert not app.c.main.isVisible()
        assert app.open_boxes() == []
        assert app.c.login.message.text() == ""
        assert (await api_login(server, device="PC-2")).status_code == 200


async def test_the_sessions_view_lists_this_pc(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """With two sessions allowed, the view shows both devices, this PC marked and first."""
    async with apps() as launch:
        server = start_server("--demo", "--max-sessions", "2")
        assert (await api_login(server, device="PC-2")).status_code == 200
        app = launch()
        await app.connected(server.url)
        view = app.c.main.sessions
        await eventually(lambda: view.table.rowCount() == 2, what="two rows")
        cells = [view.table.item(r, 0) for r in range(2)]
        buttons = [view.end_button(r) for r in range(2)]
        assert [c.text() if c else None for c in cells] == ["PC-1", "PC-2"]  # this PC first
        assert buttons[0] is None
        assert buttons[1] is not None
        assert buttons[1].text() == "End"
        mark = view.table.item(0, 3)
        assert mark is not None
        assert mark.text() == "This PC"


async def test_remember_username_is_kept_for_the_next_start(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """With "Remember username" ticked the next start fills the username, never the password."""
    async with apps() as launch:
        app = launch("PC-1")
        app.click(app.c.login.remember)
        await app.connected(memory_server.url)
        again = launch("PC-1")
        assert again.c.login.username.text() == "user1"
        assert again.c.login.password.text() == ""
        assert again.c.login.server.text() == memory_server.url
        assert again.c.settings.device_id == app.c.settings.device_id
        saved = Path(again.c.settings.path).read_text()  # noqa: ASYNC240 - a tiny local file
        assert "user1" in saved
        assert "password1" not in saved


async def test_closing_the_window_quits_cleanly_even_with_a_question_open(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """Closing the login window while the takeover question waits ends everything, no takeover."""
    server = start_server("--demo", "--policy", "confirm")
    pc2 = (await api_login(server, device="PC-2")).json()["access_token"]
    async with apps() as launch:
        app = launch()
        await app.sign_in(server.url)
        await eventually(lambda: app.c.question, what="the takeover question")
        app.c.login.close()
        await asyncio.wait_for(app.c.closed, 5)
        assert not app.c.login.isVisible()
        assert app.open_boxes() == []
        assert app.state is State.LOGGED_OUT
        assert (await api_get(server, "/api/auth/me", pc2)).status_code == 200


async def test_closing_the_main_window_quits_and_signs_out(
    apps: Apps, start_server: Callable[..., ServerProcess], state_lines: Callable[[], list[str]]
) -> None:
    """The main window's close button quits: socket closed, session ended, state=logged_out."""
    server = start_server("--demo", "--policy", "reject")
    async with apps() as launch:
        app = launch()
        await app.connected(server.url)
        app.c.main.close()
        await asyncio.wait_for(app.c.closed, 5)
        assert not app.c.main.isVisible()
        assert state_lines()[-1].startswith("state=logged_out")
        assert (await api_login(server, device="PC-2")).status_code == 200


async def test_two_profiles_are_two_devices(apps: Apps) -> None:
    """Each profile keeps its own device id, and keeps it across starts."""
    async with apps() as launch:
        a, b, a_again = launch("PC-A"), launch("PC-B"), launch("PC-A")
        assert a.c.client.device.device_id != b.c.client.device.device_id
        assert a.c.client.device.device_id == a_again.c.client.device.device_id


async def test_a_contested_account_is_explained_on_both_pcs(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """Past the server's contest limit the refused PC reads why under the login form, and
    the PC signed in reads the same in its main window and stays connected."""
    contested = (
        "This account is being used on two PCs at once. "
        "Wait about 5 minutes or contact your administrator."
    )
    server = start_server("--demo", "--contest-limit", "1")
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        await pc2.connected(server.url)  # displaces PC-1: the one displacement allowed
        box = await eventually(lambda: pc1.c.ending_box, what="PC-1's displaced dialog")
        pc1.click(box.button(box.StandardButton.Ok))
        await pc1.until(State.LOGGED_OUT)

        await pc1.sign_in(server.url)  # would displace PC-2 again
        await eventually(lambda: pc1.c.login.message.text() == contested, what="the reason")
        assert pc1.state is State.LOGGED_OUT
        failure = pc1.c.machine.snapshot.failure
        assert failure is not None
        assert failure.retry_after == 300
        await eventually(lambda: pc2.c.main.notice.text() == contested, what="PC-2's notice")
        assert pc2.c.main.notice.isVisible()
        assert pc2.state is State.CONNECTED
