"""The system tray, with its availability injected (the offscreen platform has none)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtGui import QIcon, QImage

from desktop_app.session import State
from desktop_app.ui.tray import Look, Tray
from tests.desktop.helpers import api_get, api_login, eventually
from tests.desktop.ui.conftest import App, Apps
from tests.support.server import ServerProcess

WORDS = {
    "LoginGuard — connected",
    "LoginGuard — offline",
    "LoginGuard — signed out",
}


def image(icon: QIcon) -> QImage:
    return icon.pixmap(32, 32).toImage()


def notifications(app: App) -> list[tuple[str, str]]:
    """Record what the tray icon is asked to show (no tray daemon to ask offscreen)."""
    tray = app.c.tray
    assert tray is not None
    shown: list[tuple[str, str]] = []
    tray.icon.showMessage = lambda title, text, *rest: shown.append((title, text))  # type: ignore[method-assign, assignment]
    return shown


def test_each_state_has_its_own_icon(qapp: object) -> None:
    """Connected, offline and signed out are three different pictures."""
    tray = Tray()
    pictures = [image(tray.icons[look]) for look in Look]
    assert len({bytes(p.constBits()) for p in pictures}) == 3  # type: ignore[call-overload]
    tray.menu.deleteLater()


async def test_the_tray_follows_the_session_and_tells_of_a_displacement(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """Icon and tool tip say signed out → connected → signed out; a displacement raises one
    notification that names no device (only the dialog, in plain text, does)."""
    async with apps() as launch:
        app = launch("PC-1", tray=True)
        tray = app.c.tray
        assert tray is not None
        shown = notifications(app)
        assert (tray.look, tray.icon.toolTip()) == (Look.SIGNED_OUT, "LoginGuard — signed out")
        assert not tray.sign_out_action.isEnabled()
        await app.connected(memory_server.url)
        assert (tray.look, tray.icon.toolTip()) == (Look.CONNECTED, "LoginGuard — connected")
        assert tray.sign_out_action.isEnabled()
        assert image(tray.icon.icon()) == image(tray.icons[Look.CONNECTED])
        assert (await api_login(memory_server, device="PC-2")).status_code == 200
        await eventually(app.ending_text, wait=2, what="the displaced dialog")
        assert tray.look is Look.SIGNED_OUT
        assert shown == [
            ("Signed out", "Your account signed in on another PC. Open LoginGuard for details.")
        ]
        assert tray.icon.toolTip() in WORDS


async def test_closing_the_main_window_keeps_a_remembered_session_in_the_tray(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """With stay-signed-in the close button hides to the tray; Open brings it back; Quit
    from the menu quits and keeps the session for the next start."""
    async with apps() as launch:
        app = launch("PC-1", tray=True)
        tray = app.c.tray
        assert tray is not None
        shown = notifications(app)
        app.click(app.c.login.stay)
        await app.connected(memory_server.url)
        app.c.main.close()
        await asyncio.sleep(0.2)
        assert not app.c.main.isVisible()
        assert not app.c.closed.done()
        assert app.state is State.CONNECTED
        assert [title for title, _ in shown] == ["LoginGuard is still running"]
        tray.open_action.trigger()
        assert app.c.main.isVisible()
        held = app.c.client.held
        assert held is not None
        tray.quit_action.trigger()
        await asyncio.wait_for(app.c.closed, 5)
        assert (await api_get(memory_server, "/api/auth/me", held.token)).status_code == 200


async def test_without_stay_signed_in_closing_quits_and_signs_out_even_with_a_tray(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """Nothing is kept, so the close button quits as it always did: the account is free."""
    server = start_server("--demo", "--policy", "reject")
    async with apps() as launch:
        app = launch("PC-1", tray=True)
        await app.connected(server.url)
        app.c.main.close()
        await asyncio.wait_for(app.c.closed, 5)
        assert (await api_login(server, device="PC-2")).status_code == 200


async def test_the_tray_menu_signs_out(apps: Apps, memory_server: ServerProcess) -> None:
    """Sign out in the tray menu ends the session like the button does."""
    async with apps() as launch:
        app = launch("PC-1", tray=True)
        await app.connected(memory_server.url)
        tray = app.c.tray
        assert tray is not None
        tray.sign_out_action.trigger()
        await app.until(State.LOGGED_OUT)
        assert app.c.login.isVisible()
        assert tray.icon.toolTip() == "LoginGuard — signed out"
