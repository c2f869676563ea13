"""Being offline as a person sees it: Cancel, Retry now, the network coming back, and a
sign-out that waits for the server."""

from __future__ import annotations

import asyncio

from desktop_app.session import State
from tests.desktop.helpers import api_get, eventually, patient_backoff, silent_server
from tests.desktop.keyrings import LockedKeyring
from tests.desktop.proxy import Proxy
from tests.desktop.ui.conftest import App, Apps
from tests.support.server import ServerProcess

PENDING = "Your sign-out has not reached the server at {} yet."
DELIVERED = "Your sign-out has reached the server."


async def test_a_hung_sign_in_can_be_cancelled_and_keeps_the_form(apps: Apps) -> None:
    """Against a server that never answers, Cancel returns to the form with every field
    as typed, the password included."""
    async with apps() as launch, silent_server() as url:
        app = launch("PC-1")
        login = app.c.login
        await app.sign_in(url, "user1", "secret-1")
        await app.until(State.LOGGING_IN)
        assert login.cancel.isVisible()
        assert not login.sign_in.isEnabled()
        await asyncio.sleep(0.3)
        app.click(login.cancel)
        await app.until(State.LOGGED_OUT, wait=1)
        assert (login.server.text(), login.username.text(), login.password.text()) == (
            url,
            "user1",
            "secret-1",
        )
        assert login.message.text() == "Sign-in cancelled."
        assert login.sign_in.isEnabled()
        assert not login.cancel.isVisible()


async def connected_through(app: App, proxy: Proxy) -> None:
    await app.connected(proxy.url)
    await proxy.cut()
    await app.until(State.RECONNECTING)


async def test_retry_now_and_the_network_coming_back_reconnect_at_once(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """With a 30 s backoff and health checks blocked, "Retry now" and the OS saying the
    network is back each reconnect at once."""
    async with apps() as launch:
        proxy = await Proxy(memory_server.port).start()
        try:
            app = launch("PC-1", backoff=patient_backoff())
            main = app.c.main
            await connected_through(app, proxy)
            assert main.retry.isVisible()
            proxy.refuse = b"GET /healthz"
            await proxy.restore()
            await asyncio.sleep(1.0)
            assert app.state is State.RECONNECTING
            app.click(main.retry)
            await app.until(State.CONNECTED, wait=10)  # far below 30 s
            assert not main.retry.isVisible()

            await proxy.cut()
            await app.until(State.RECONNECTING)
            await proxy.restore()
            await asyncio.sleep(1.0)
            assert app.state is State.RECONNECTING
            app.c.network.back_online.emit()  # what Qt's QNetworkInformation would say
            await app.until(State.CONNECTED, wait=10)  # far below 30 s
        finally:
            await proxy.close()


async def test_a_sign_out_while_offline_waits_and_is_sent_when_the_server_answers(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """Offline Sign out: the login window at once with a notice; the session lives on the
    server until it answers again, then it is ended and the notice says so."""
    async with apps() as launch:
        proxy = await Proxy(memory_server.port).start()
        try:
            app = launch("PC-1")
            await connected_through(app, proxy)
            held = app.c.client.held
            assert held is not None
            app.click(app.c.main.sign_out)
            await app.until(State.LOGGED_OUT)
            notice = app.c.login.notice
            assert notice.isVisible()
            assert notice.text().startswith(PENDING.format(proxy.url))
            assert (await api_get(memory_server, "/api/auth/me", held.token)).status_code == 200
            await proxy.restore()
            await eventually(lambda: notice.text() == DELIVERED, what="the sign-out delivered")
            me = await api_get(memory_server, "/api/auth/me", held.token)
            assert me.json()["error"] == "session_logged_out"
            assert app.c.settings.pending_sign_out is None
        finally:
            await proxy.close()


async def test_a_pending_sign_out_survives_quitting_and_is_sent_at_the_next_start(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """Signed out offline, then quit: the next start shows the notice and sends it."""
    async with apps() as launch:
        proxy = await Proxy(memory_server.port).start()
        try:
            app = launch("PC-1")
            await connected_through(app, proxy)
            held = app.c.client.held
            assert held is not None
            app.click(app.c.main.sign_out)
            await app.until(State.LOGGED_OUT)
            await app.c.quit()

            again = launch("PC-1")
            notice = again.c.login.notice
            assert notice.text().startswith(PENDING.format(proxy.url))
            await proxy.restore()
            await eventually(lambda: notice.text() == DELIVERED, what="the sign-out delivered")
            me = await api_get(memory_server, "/api/auth/me", held.token)
            assert me.json()["error"] == "session_logged_out"
        finally:
            await proxy.close()


async def test_without_a_keychain_a_pending_sign_out_is_honest_about_quitting(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """A locked keychain: the notice asks to keep the app open; after quitting, the next
    start says the sign-out was lost and when the session ends by itself, once."""
    ring = LockedKeyring()
    async with apps() as launch:
        proxy = await Proxy(memory_server.port).start()
        try:
            app = launch("PC-1", ring=ring)
            await connected_through(app, proxy)
            app.click(app.c.main.sign_out)
            await app.until(State.LOGGED_OUT)
            assert app.c.login.notice.text().endswith(
                "Keep LoginGuard open until then: without a usable keychain this PC "
                "cannot keep it after you quit."
            )
            await app.c.quit()

            again = launch("PC-1", ring=ring)
            text = again.c.login.notice.text()
            assert text.startswith(f"Your last sign-out never reached the server at {proxy.url}")
            assert "ends by itself by " in text
            await again.c.quit()
            assert launch("PC-1", ring=ring).c.login.notice.text() == ""
        finally:
            await proxy.close()
