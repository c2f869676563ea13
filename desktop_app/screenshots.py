"""Render the README pictures: ``python -m desktop_app.screenshots docs/img``.

Nothing is staged: a real ``python -m server --demo`` runs on a free port (or
``--server URL`` names one), the real app signs in through its real widgets,
and a second PC signs in through the API so that the real displaced dialog
appears. Writes ``login.png``, ``main.png``, ``displaced.png`` (the login
window with the dialog over it, as a person sees them), ``tray-menu.png`` (the
tray icon's menu while signed in) and, when the demo server is our own, stops
it under the signed-in app and signs out: ``pending-sign-out.png`` (the login
window with the notice that the sign-out waits for the server). With a demo
server of its own it also starts a second one allowing three sessions, signs in
PC-2 and PC-3 beside PC-1 and writes ``sessions.png`` (the main window listing
them, each other PC with its End button), and a third under ``--policy ask``:
PC-1 signed in, PC-2 signing in, so that PC-1 is asked — ``takeover.png`` (PC-1's
main window with the prompt beside it, not modal, so not dimmed) and
``waiting.png`` (PC-2's login window counting down, Cancel showing). Each
language (``--language``, both by default) gets its own set; Korean files end in
``-ko``. Works on the ``offscreen`` platform; settings go to a temporary folder
and the keychain is keyring's null backend, never the user's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import qasync
from keyring.backends.null import Keyring as NullKeyring
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.keychain import Keychain
from desktop_app.session import State
from desktop_app.settings import Settings
from desktop_app.ui.controller import Controller, Options
from shared import paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until(check: Callable[[], object], what: str, wait: float = 15.0) -> None:
    deadline = time.monotonic() + wait
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


Stop = Callable[[], Awaitable[None]]


@asynccontextmanager
async def demo_server(*flags: str) -> AsyncIterator[tuple[str, Stop | None]]:
    """A throwaway ``--demo`` server process on a free loopback port, and its stop."""
    port = _free_port()
    env = {**os.environ, "LOGINGUARD_JWT_SECRET": secrets.token_urlsafe(48)}
    where = ["--host", "127.0.0.1", "--port", str(port)]
    # Popen returns at once; waiting is done by polling below, never by blocking.
    proc = subprocess.Popen(  # noqa: S603, ASYNC220 - our own server module, fixed arguments
        [sys.executable, "-m", "server", *where, "--demo", *flags],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the demo server exited with {proc.returncode}")
                try:
                    if (await http.get(url + paths.HEALTHZ)).status_code == 200:
                        break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                await asyncio.sleep(0.1)

        async def stop() -> None:
            proc.terminate()
            try:
                await _until(lambda: proc.poll() is not None, "the demo server to stop", 10)
            except RuntimeError:
                proc.kill()
                await _until(lambda: proc.poll() is not None, "the demo server to die", 5)

        yield url, stop
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                await _until(lambda: proc.poll() is not None, "the demo server to stop", 10)
            except RuntimeError:
                proc.kill()
                await _until(lambda: proc.poll() is not None, "the demo server to die", 5)


def _with_dialog(window: QWidget, dialog: QWidget, *, dim: bool = True) -> QPixmap:
    """The window with the dialog centred over it and a soft shadow, as on screen;
    ``dim``: the window is dimmed as under a window-modal box."""
    base = window.grab()
    box = dialog.grab()
    ratio = base.devicePixelRatio()
    width = max(base.width(), box.width() + 40)
    height = max(base.height(), box.height() + 40)
    canvas = QPixmap(width, height)
    canvas.setDevicePixelRatio(ratio)
    canvas.fill(QColor("#ffffff"))
    painter = QPainter(canvas)
    painter.drawPixmap(QPoint(0, 0), base)
    if dim:
        painter.fillRect(canvas.rect(), QColor(0, 0, 0, 60))  # the window-modal dimming
    x = int((width / ratio - box.width() / ratio) / 2)
    y = int((height / ratio - box.height() / ratio) / 2)
    for spread, alpha in ((6, 25), (3, 40)):
        painter.fillRect(
            x - spread,
            y - spread + 2,
            int(box.width() / ratio) + 2 * spread,
            int(box.height() / ratio) + 2 * spread,
            QColor(0, 0, 0, alpha),
        )
    painter.drawPixmap(QPoint(x, y), box)
    painter.end()
    return canvas


async def render(out: Path, server: str | None, language: str) -> list[Path]:
    suffix = "" if language == "en" else f"-{language}"
    written: list[Path] = []

    def save(pixmap: QPixmap, name: str) -> None:
        path = out / f"{name}{suffix}.png"
        if not pixmap.save(str(path)):
            raise RuntimeError(f"could not write {path}")
        written.append(path)

    async with demo_server() if server is None else _given(server) as (url, stop):
        with tempfile.TemporaryDirectory(prefix="loginguard-shots-") as tmp:
            settings = Settings("screenshots", Path(tmp))
            options = Options(server=url, device_name="PC-1", language=language)
            keychain = Keychain("screenshots", NullKeyring())  # type: ignore[no-untyped-call]
            c = Controller(settings, options, keychain=keychain, tray_available=lambda: True)
            c.start()
            c.login.resize(460, c.login.sizeHint().height())
            c.main.resize(640, 360)
            c.login.username.setText("user1")
            c.login.password.setText("password1")
            c.login.remember.setChecked(True)
            await asyncio.sleep(0.2)
            save(c.login.grab(), "login")

            c.submit()
            await _until(lambda: c.machine.state is State.CONNECTED, "sign-in")
            await _until(lambda: c.main.sessions.table.rowCount() > 0, "the sessions list")
            await asyncio.sleep(0.2)
            save(c.main.grab(), "main")

            async with httpx.AsyncClient(timeout=10) as http:
                second = {"username": "user1", "password": "password1",
                          "device_id": "screenshots-pc-2", "device_name": "PC-2"}  # fmt: skip
                (await http.post(url + paths.LOGIN, json=second)).raise_for_status()
            await _until(lambda: c.ending_box is not None, "the displaced dialog")
            await asyncio.sleep(0.3)
            box = c.ending_box
            assert box is not None
            save(_with_dialog(c.login, box), "displaced")
            box.done(0)
            await _until(lambda: c.machine.state is State.LOGGED_OUT, "the dialog to close")

            c.login.password.setText("password1")
            c.submit()
            await _until(lambda: c.machine.state is State.CONNECTED, "signing in again")
            assert c.tray is not None
            c.tray.menu.adjustSize()
            await asyncio.sleep(0.2)
            save(c.tray.menu.grab(), "tray-menu")

            if stop is not None:  # a server we may stop: sign out while it is gone
                await stop()
                await _until(lambda: c.machine.state is State.RECONNECTING, "going offline")
                c.sign_out()
                await _until(lambda: c.login.notice.isVisible(), "the pending notice")
                await asyncio.sleep(0.2)
                save(c.login.grab(), "pending-sign-out")
            await c.quit()
    if server is None:  # several sessions per account, or ask, need a server we configure
        save(await _sessions_view(language), "sessions")
        asked, waiting = await _ask(language)
        save(asked, "takeover")
        save(waiting, "waiting")
    return written


async def _sessions_view(language: str) -> QPixmap:
    """PC-1's main window while PC-2 and PC-3 are signed in too: the live list."""
    async with demo_server("--max-sessions", "3") as (url, _stop):
        with tempfile.TemporaryDirectory(prefix="loginguard-shots-") as tmp:
            settings = Settings("screenshots", Path(tmp))
            options = Options(server=url, device_name="PC-1", language=language)
            keychain = Keychain("screenshots", NullKeyring())  # type: ignore[no-untyped-call]
            c = Controller(settings, options, keychain=keychain, tray_available=lambda: False)
            c.start()
            c.main.resize(640, 400)
            c.login.username.setText("user1")
            c.login.password.setText("password1")
            c.submit()
            await _until(lambda: c.machine.state is State.CONNECTED, "sign-in")
            async with httpx.AsyncClient(timeout=10) as http:
                for name in ("PC-2", "PC-3"):
                    other = {"username": "user1", "password": "password1",
                             "device_id": f"screenshots-{name}", "device_name": name}  # fmt: skip
                    (await http.post(url + paths.LOGIN, json=other)).raise_for_status()
            await _until(lambda: c.main.sessions.table.rowCount() == 3, "three sessions listed")
            await asyncio.sleep(0.2)
            picture = c.main.grab()
            await c.quit()
            return picture


def _app(profile: str, url: str, language: str, folder: str) -> Controller:
    settings = Settings(profile, Path(folder))
    options = Options(server=url, device_name=profile, language=language)
    keychain = Keychain(profile, NullKeyring())  # type: ignore[no-untyped-call]
    c = Controller(settings, options, keychain=keychain, tray_available=lambda: False)
    c.start()
    c.login.username.setText("user1")
    c.login.password.setText("password1")
    return c


async def _ask(language: str) -> tuple[QPixmap, QPixmap]:
    """Under ``--policy ask``: PC-1 asked by PC-2 (prompt over its main window), and PC-2
    waiting for the answer (its login window)."""
    async with demo_server("--policy", "ask") as (url, _stop):
        with tempfile.TemporaryDirectory(prefix="loginguard-shots-") as tmp:
            pc1, pc2 = _app("PC-1", url, language, tmp), _app("PC-2", url, language, tmp)
            pc1.main.resize(640, 440)  # the prompt, centred, leaves the connection line visible
            pc2.login.resize(460, pc2.login.sizeHint().height())
            pc1.submit()
            await _until(lambda: pc1.machine.state is State.CONNECTED, "PC-1 signed in")
            await _until(lambda: pc1.main.sessions.table.rowCount() > 0, "the sessions list")
            pc2.submit()
            await _until(lambda: pc1.prompt.isVisible(), "PC-1's prompt")
            await _until(lambda: pc2.login.waiting_text() != "", "PC-2 waiting")
            await asyncio.sleep(1.2)  # a countdown that has moved: it is live
            asked = _with_dialog(pc1.main, pc1.prompt, dim=False)
            waiting = pc2.login.grab()
            pc2.cancel_sign_in()
            await _until(lambda: pc2.machine.state is State.LOGGED_OUT, "PC-2 cancelled")
            await pc2.quit()
            await pc1.quit()
            return asked, waiting


@asynccontextmanager
async def _given(url: str) -> AsyncIterator[tuple[str, Stop | None]]:
    yield url, None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop_app.screenshots", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the PNG files, e.g. docs/img")
    parser.add_argument("--server", help="use this running server instead of a --demo one")
    parser.add_argument(
        "--language", choices=["en", "ko"], action="append", help="repeatable; default: both"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    app.setStyle("Fusion")  # the same look on every machine that renders the docs
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        for language in args.language or ["en", "ko"]:
            for path in runner.run(render(args.out, args.server, language)):
                print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
