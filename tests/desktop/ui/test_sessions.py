"""The sessions view against a real server allowing three sessions: the list follows the
account live, End and End all other sessions ask first, and the PC that was ended is told
which PC did it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from PySide6.QtWidgets import QPushButton

from desktop_app.session import State
from desktop_app.ui.dialogs import EndQuestion
from desktop_app.ui.wording import when
from tests.desktop.helpers import api_get, api_login, eventually
from tests.desktop.proxy import Proxy
from tests.desktop.ui.conftest import App, Apps
from tests.support.server import ServerProcess, timeout


@pytest.fixture
def server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server("--demo", "--max-sessions", "3")


def shown(app: App) -> list[tuple[str, str]]:
    """The rows as a person reads them: the device, and "This PC" or the End button's text."""
    view = app.c.main.sessions
    rows = []
    for row in range(view.table.rowCount()):
        device, mark = view.table.item(row, 0), view.table.item(row, 3)
        button = view.end_button(row)
        action = button.text() if button is not None else (mark.text() if mark else "")
        rows.append((device.text() if device else "", action))
    return rows


def end_button(app: App, device: str) -> QPushButton:
    view = app.c.main.sessions
    for row in range(view.table.rowCount()):
        item, button = view.table.item(row, 0), view.end_button(row)
        if item is not None and item.text() == device and button is not None:
            return button
    raise AssertionError(f"no End button for {device}: {shown(app)}")


async def question(app: App) -> EndQuestion:
    asked: EndQuestion = await eventually(lambda: app.c.end_question, what="the confirmation")
    assert asked.box.isVisible()
    return asked


async def token_of(server: ServerProcess, device: str) -> str:
    response = await api_login(server, device=device)
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


async def me(server: ServerProcess, token: str) -> httpx.Response:
    return await api_get(server, "/api/auth/me", token)


async def test_the_list_follows_other_pcs_signing_in_and_out_without_a_refresh(
    apps: Apps, server: ServerProcess
) -> None:
    """PC-2 signing in adds its row with an End button; its sign-out removes it; no reload."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(server.url)
        view = app.c.main.sessions
        await eventually(lambda: shown(app) == [("PC-1", "This PC")], what="this PC's row")
        assert not view.end_others.isEnabled()
        assert not view.reload.isVisibleTo(view)
        assert view.findChild(QPushButton, "refresh") is None  # live: nothing to refresh

        token = await token_of(server, "PC-2")
        await eventually(
            lambda: shown(app) == [("PC-1", "This PC"), ("PC-2", "End")], what="PC-2's row"
        )
        assert view.end_others.isEnabled()
        async with httpx.AsyncClient(timeout=timeout(10)) as http:
            out = await http.post(
                server.url + "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
            )
        assert out.status_code == 204
        await eventually(lambda: shown(app) == [("PC-1", "This PC")], what="PC-2's row to go")
        assert not view.end_others.isEnabled()
        assert app.state is State.CONNECTED


async def test_end_on_another_pcs_row_signs_it_out_and_its_app_names_this_pc(
    apps: Apps, server: ServerProcess
) -> None:
    """PC-1 ends PC-2 after confirming: PC-2's app says that PC-1 signed it out, and when."""
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        await pc2.connected(server.url)
        await eventually(lambda: ("PC-2", "End") in shown(pc1), what="PC-2's row on PC-1")
        await eventually(lambda: ("PC-1", "End") in shown(pc2), what="PC-1's row on PC-2")

        pc1.click(end_button(pc1, "PC-2"))
        asked = await question(pc1)
        assert asked.box.text().startswith("End the session on PC-2 (127.0.0.1), signed in since ")
        assert asked.box.text().endswith("? That PC is signed out at once.")
        assert asked.box.defaultButton() is asked.no
        pc1.click(asked.yes)

        text = await eventually(pc2.ending_text, wait=3, what="PC-2's dialog")
        by = pc2.c.machine.snapshot.by
        assert by is not None
        assert text == f"You were signed out from PC-1 (127.0.0.1) at {when(by['at'])}."
        assert pc2.state is State.LOGGED_OUT_ELSEWHERE
        assert by["device_name"] == "PC-1"
        assert pc2.c.login.message.text() == text  # also under the form, once the box is gone
        await eventually(lambda: shown(pc1) == [("PC-1", "This PC")], what="PC-2's row to go")
        assert pc1.state is State.CONNECTED
        assert [b for b in pc1.open_boxes() if b.parent() is pc1.c.main] == []
        assert not pc1.c.main.sessions.notice.isVisibleTo(pc1.c.main)


async def test_end_all_other_sessions_signs_out_every_other_pc_and_keeps_this_one(
    apps: Apps, server: ServerProcess
) -> None:
    """One confirmation naming PC-2 and PC-3 ends both; each is told PC-1 did it."""
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        await pc2.connected(server.url)
        pc3 = await token_of(server, "PC-3")
        await eventually(lambda: len(shown(pc1)) == 3, what="three rows on PC-1")

        pc1.click(pc1.c.main.sessions.end_others)
        asked = await question(pc1)
        assert asked.box.windowTitle() == "End all other sessions"
        assert asked.box.text() == (
            "End the sessions on PC-2, PC-3? Those PCs are signed out at once; "
            "this PC stays signed in."
        )
        assert asked.yes.text() == "End all"
        pc1.click(asked.yes)

        text = await eventually(pc2.ending_text, wait=3, what="PC-2's dialog")
        assert text.startswith("You were signed out from PC-1 (127.0.0.1) at ")
        gone = await me(server, pc3)
        assert gone.status_code == 401
        assert gone.json()["error"] == "session_logged_out"
        assert gone.json()["by"]["device_name"] == "PC-1"
        await eventually(lambda: shown(pc1) == [("PC-1", "This PC")], what="one row left")
        assert pc1.state is State.CONNECTED


async def test_cancelling_either_confirmation_ends_nothing(
    apps: Apps, server: ServerProcess
) -> None:
    """Cancel on End and on End all other sessions leaves every PC signed in and listed."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(server.url)
        pc2, pc3 = await token_of(server, "PC-2"), await token_of(server, "PC-3")
        await eventually(lambda: len(shown(app)) == 3, what="three rows")
        before = shown(app)

        app.click(end_button(app, "PC-2"))
        app.click((await question(app)).no)
        await eventually(lambda: app.c.end_question is None, what="the box to close")
        app.click(app.c.main.sessions.end_others)
        asked = await question(app)
        asked.box.reject()  # Escape, or the window's close button
        await eventually(lambda: app.c.end_question is None, what="the box to close")

        await asyncio.sleep(0.5)  # a list message would have arrived by now
        assert shown(app) == before
        assert [(await me(server, t)).status_code for t in (pc2, pc3)] == [200, 200]
        assert app.open_boxes() == []
        assert end_button(app, "PC-2").isEnabled()


async def test_a_session_gone_before_the_confirmation_is_said_in_a_sentence(
    apps: Apps, server: ServerProcess
) -> None:
    """PC-2 signs out while PC-1's box is open: confirming says it had already ended (a 404)."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(server.url)
        pc2 = await token_of(server, "PC-2")
        await eventually(lambda: ("PC-2", "End") in shown(app), what="PC-2's row")
        app.click(end_button(app, "PC-2"))
        asked = await question(app)
        async with httpx.AsyncClient(timeout=timeout(10)) as http:
            out = await http.post(
                server.url + "/api/auth/logout", headers={"Authorization": f"Bearer {pc2}"}
            )
        assert out.status_code == 204
        await eventually(lambda: shown(app) == [("PC-1", "This PC")], what="the row to go")
        app.click(asked.yes)

        notice = app.c.main.sessions.notice
        await eventually(notice.text, what="the notice")
        assert notice.text() == "The session on PC-2 had already ended."
        assert notice.isVisibleTo(app.c.main)
        assert app.state is State.CONNECTED
        assert app.open_boxes() == []


async def test_an_end_that_cannot_reach_the_server_says_so_and_ends_nothing(
    apps: Apps, server: ServerProcess
) -> None:
    """With the network cut, End reports the unreachable server in words; PC-2 stays in."""
    async with apps() as launch:
        proxy = await Proxy(server.port).start()
        try:
            app = launch("PC-1")
            await app.connected(proxy.url)
            pc2 = await token_of(server, "PC-2")
            await eventually(lambda: ("PC-2", "End") in shown(app), what="PC-2's row")
            await proxy.cut()
            await app.until(State.RECONNECTING)
            app.click(end_button(app, "PC-2"))
            app.click((await question(app)).yes)

            notice = app.c.main.sessions.notice
            await eventually(notice.text, what="the notice")
            assert notice.text() == (
                f"Could not end the session on PC-2. Cannot reach the server at {proxy.url}. "
                "Check the address and your network."
            )
            assert end_button(app, "PC-2").isEnabled()  # another try is one click away
            assert (await me(server, pc2)).status_code == 200
        finally:
            await proxy.close()
