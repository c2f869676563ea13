"""Qt fixtures: every async test here runs on a qasync loop inside a QApplication.

Tests wait with ``await`` (``helpers.eventually``), never with qtbot.wait*: a
nested Qt event loop inside a running coroutine is exactly what breaks qasync.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import keyring
import pytest
import qasync
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop_app.backoff import Backoff
from desktop_app.keychain import Keychain
from desktop_app.session import State
from desktop_app.settings import Settings
from desktop_app.ui.controller import Controller, Options
from tests.desktop.helpers import Recorder, eventually, quick_backoff
from tests.desktop.keyrings import MemoryKeyring

_app: QApplication | None = None


def _qapplication() -> QApplication:
    global _app
    existing = QApplication.instance()
    if existing is None:
        _app = QApplication(["loginguard-tests"])
        existing = _app
    assert isinstance(existing, QApplication)
    existing.setQuitOnLastWindowClosed(False)
    return existing


class _TestLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop, kept "running" for the one extra Qt pass after each run.

    qasync's ``run_until_complete`` processes pending Qt events once more after
    its loop has stopped. pytest-asyncio runs a test and each fixture in separate
    ``run_until_complete`` calls, so a socket of an app still open between the
    test and its fixture's teardown can wake a task in that pass, where asyncio
    finds no running loop. The app itself runs one ``run_until_complete`` and
    has no task left when it ends, so only the tests need this.
    """

    def run_forever(self) -> None:
        try:
            super().run_forever()
        finally:
            asyncio.events._set_running_loop(self)

    def run_until_complete(self, future: Any) -> Any:
        try:
            return super().run_until_complete(future)
        finally:
            asyncio.events._set_running_loop(None)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"qasync": lambda: _TestLoop(_qapplication())}


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled translations go to a temporary cache, not the tester's home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets an empty in-memory keychain: the tester's own is never touched."""
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


class App:
    """A real Controller with its real widgets, and hands to type and click."""

    def __init__(self, controller: Controller) -> None:
        self.c = controller
        self.states = Recorder(controller.machine)

    @property
    def state(self) -> State:
        return self.c.machine.state

    def type_into(self, widget: QWidget, text: str) -> None:
        widget.setFocus()
        QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(widget, Qt.Key.Key_Delete)
        QTest.keyClicks(widget, text)

    def click(self, widget: QWidget) -> None:
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton)

    async def sign_in(self, server: str, user: str = "user1", password: str | None = None) -> None:
        """Type into the login window and click Sign in (does not wait for the result)."""
        login = self.c.login
        assert login.isVisible()
        self.type_into(login.server, server)
        self.type_into(login.username, user)
        self.type_into(login.password, password or f"password{user[-1]}")
        self.click(login.sign_in)

    async def until(self, *states: State, wait: float = 5.0) -> None:
        await eventually(lambda: self.state in states, wait, f"state in {states}, is {self.state}")

    async def connected(self, server: str, user: str = "user1") -> None:
        await self.sign_in(server, user)
        await self.until(State.CONNECTED)

    def ending_text(self) -> str:
        box = self.c.ending_box
        return box.text() if box is not None and box.isVisible() else ""

    def open_boxes(self) -> list[QMessageBox]:
        return [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()
        ]


Launch = Callable[..., App]
Apps = Callable[[], AbstractAsyncContextManager[Launch]]


@pytest.fixture
def apps(tmp_path: Path) -> Apps:
    """``async with apps() as launch:`` — ``launch("PC-1")`` starts a real app.

    Each device name is its own settings profile, i.e. its own PC. Every app
    launched is quit when the block ends, inside the test: pytest-qt processes
    Qt events between test phases with no asyncio loop running, so an app must
    not outlive the coroutine that runs it.
    """

    @asynccontextmanager
    async def block() -> AsyncIterator[Launch]:
        launched: list[App] = []

        def launch(
            device: str = "PC-1",
            language: str = "en",
            *,
            tray: bool = False,
            ring: KeyringBackend | None = None,
            backoff: Backoff | None = None,
            **options: str,
        ) -> App:
            settings = Settings(device, tmp_path / "config")
            opts = Options(device_name=device, language=language, **options)
            controller = Controller(
                settings,
                opts,
                backoff=backoff or quick_backoff(),
                keychain=Keychain(device, ring),
                tray_available=lambda: tray,
                watch_network=False,
            )
            controller.start()
            app = App(controller)
            launched.append(app)
            return app

        try:
            yield launch
        finally:
            for app in launched:
                await app.c.quit()
                app.c.translations.uninstall()  # a Korean app must not leave Korean behind
            for app in launched:
                for widget in (app.c.login, app.c.main):
                    widget.deleteLater()
                if app.c.tray is not None:
                    app.c.tray.menu.deleteLater()
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leftover == [], leftover

    return block


@pytest.fixture
def state_lines(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The stderr lines the app writes on every state change."""
    caplog.set_level(logging.INFO, logger="loginguard.state")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "loginguard.state"]
