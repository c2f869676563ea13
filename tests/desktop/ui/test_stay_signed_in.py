""" "Stay signed in on this PC": the token (never the password) in the OS keychain, resumed
at the next start, deleted by every ending; a missing or locked keychain never crashes."""

from __future__ import annotations

from desktop_app.keychain import SERVICE, SESSION
from desktop_app.session import State
from tests.desktop.helpers import api_get, api_login, eventually
from tests.desktop.keyrings import LockedKeyring, MemoryKeyring
from tests.desktop.ui.conftest import Apps
from tests.support.server import ServerProcess


async def test_the_next_start_resumes_the_session_without_typing(
    apps: Apps, memory_server: ServerProcess, memory_keyring: MemoryKeyring
) -> None:
    """Ticked: the keychain holds the token, quitting keeps the session, the next start is
    signed in with no login window; Sign out deletes the entry."""
    async with apps() as launch:
        app = launch("PC-1")
        app.click(app.c.login.stay)
        await app.connected(memory_server.url)
        stored = memory_keyring.entries[(SERVICE, f"PC-1/{SESSION}")]
        held = app.c.client.held
        assert held is not None
        assert held.token in stored
        assert "password1" not in stored
        await app.c.quit()
        assert (await api_get(memory_server, "/api/auth/me", held.token)).status_code == 200

        again = launch("PC-1")
        assert not again.c.login.isVisible()
        await again.until(State.CONNECTED)
        assert again.c.main.isVisible()
        assert again.c.main.heading.text() == "Signed in as user1"
        assert again.states.states == [State.RECONNECTING, State.CONNECTED]
        again.click(again.c.main.sign_out)
        await again.until(State.LOGGED_OUT)
        assert memory_keyring.entries == {}
        assert again.c.login.stay.isChecked()  # the choice is kept, the token is not


async def test_a_session_that_ended_while_closed_shows_why_and_is_forgotten(
    apps: Apps, memory_server: ServerProcess, memory_keyring: MemoryKeyring
) -> None:
    """Displaced while the app was closed: the next start shows the login window and the
    dialog naming the other PC, and the keychain entry is gone."""
    async with apps() as launch:
        app = launch("PC-1")
        app.click(app.c.login.stay)
        await app.connected(memory_server.url)
        await app.c.quit()
        assert (await api_login(memory_server, device="PC-2")).status_code == 200

        again = launch("PC-1")
        text = await eventually(again.ending_text, what="the displaced dialog")
        assert "signed in on PC-2 (127.0.0.1)" in text
        assert again.c.login.isVisible()
        assert not again.c.main.isVisible()
        assert memory_keyring.entries == {}


async def test_an_ending_while_running_deletes_the_kept_token(
    apps: Apps, memory_server: ServerProcess, memory_keyring: MemoryKeyring
) -> None:
    """Displaced while signed in: the dialog, and nothing left in the keychain."""
    async with apps() as launch:
        app = launch("PC-1")
        app.click(app.c.login.stay)
        await app.connected(memory_server.url)
        assert memory_keyring.entries
        assert (await api_login(memory_server, device="PC-2")).status_code == 200
        await eventually(app.ending_text, wait=2, what="the displaced dialog")
        assert memory_keyring.entries == {}


async def test_a_locked_keychain_signs_in_anyway_and_says_so_once(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """The keychain refuses: signed in all the same, one notice, the box unticked, no crash."""
    ring = LockedKeyring()
    async with apps() as launch:
        app = launch("PC-1", ring=ring)
        app.click(app.c.login.stay)
        await app.connected(memory_server.url)
        notice = app.c.main.notice
        assert notice.isVisible()
        assert notice.text() == (
            "This PC's keychain could not be used, so you will have to sign in again "
            "after LoginGuard is closed."
        )
        assert not app.c.login.stay.isChecked()
        assert not app.c.settings.stay_signed_in
        assert ring.calls >= 1
        await app.c.quit()
        again = launch("PC-1", ring=ring)
        assert again.c.login.isVisible()  # nothing to resume, and nothing to complain about
        assert again.c.login.notice.text() == ""


async def test_without_the_box_the_keychain_is_never_touched(
    apps: Apps, memory_server: ServerProcess, memory_keyring: MemoryKeyring
) -> None:
    """Someone who does not opt in never meets the keychain (no unlock prompt, ever)."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(memory_server.url)
        app.click(app.c.main.sign_out)
        await app.until(State.LOGGED_OUT)
        await app.c.quit()
        launch("PC-1")
        assert memory_keyring.calls == 0


async def test_a_keychain_locked_at_start_shows_the_form_and_says_why(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """A kept session whose keychain will not open at the next start: the login window, and
    a sentence saying why there was no automatic sign-in."""
    async with apps() as launch:
        app = launch("PC-1")
        app.click(app.c.login.stay)
        await app.connected(memory_server.url)
        await app.c.quit()
        again = launch("PC-1", ring=LockedKeyring())
        assert again.state is State.LOGGED_OUT
        assert again.c.login.isVisible()
        assert again.c.login.notice.text() == (
            "This PC's keychain could not be read, so you were not signed in automatically."
        )
