"""Glue between the windows and the client: clicks become client calls, session
transitions become window changes. The only Qt module that knows about asyncio.

Guarantees: the app signs in only when the person asks (a click, the "stay
signed in" they ticked, or once at start-up for automation), so a displaced
PC never signs back in by itself; no dialog is run with ``exec()``;
:meth:`Controller.quit` cancels every task it started, closes the socket with
1000 and only then resolves :attr:`Controller.closed`. Every ending deletes a
remembered session from the keychain; a sign-out the server did not get is
kept and sent later (:mod:`desktop_app.ui.outbox`). No other PC's session is
ended without a "yes" in its confirmation box, and one End at a time. Under
the ``ask`` policy another PC's request is put to the person in a prompt that
does not block (:mod:`desktop_app.ui.takeover_prompt`) and goes with the
session; this PC's own sign-in shows the wait for the other PC's answer.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon

from desktop_app.api import ApiError, Device, NoSuchSession, SessionEnded
from desktop_app.backoff import Backoff
from desktop_app.client import Client
from desktop_app.i18n import Translations, system_language
from desktop_app.keeper import Keeper
from desktop_app.keychain import Keychain
from desktop_app.session import (
    FailureKind,
    LoginFailure,
    SessionMachine,
    State,
    Transition,
    log_line,
)
from desktop_app.settings import Settings
from desktop_app.ui.asking import Asking
from desktop_app.ui.bridge import ListSignals, SessionSignals
from desktop_app.ui.dialogs import EndQuestion, TakeoverQuestion, open_ending
from desktop_app.ui.login import LoginWindow
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.network import NetworkWatch
from desktop_app.ui.outbox import Outbox
from desktop_app.ui.takeover_prompt import TakeoverPrompt
from desktop_app.ui.tray import Tray
from desktop_app.ui.wording import (
    already_ended,
    contested_message,
    end_failure,
    ending_message,
    failure_message,
    fill,
    keychain_notice,
    translate,
)
from desktop_app.wire import OwnSession
from shared.messages import Session

DEFAULT_SERVER = "http://127.0.0.1:8000"
state_log = logging.getLogger("loginguard.state")


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line (and environment) asked for this run."""

    server: str | None = None
    username: str | None = None
    password: str | None = None  # automation only: signs in once at start-up
    device_name: str | None = None  # this run's name; not saved
    language: str | None = None


class Controller(QObject):
    """One app instance: a session machine, its client, the windows, tray and dialogs.

    Needs a running asyncio loop (qasync's, inside the QApplication). The
    windows are created hidden; :meth:`start` shows the right one. Injectable
    for tests: the backoff, the keychain, whether a system tray exists, and
    whether to load Qt's network information backend.
    """

    def __init__(
        self,
        settings: Settings,
        options: Options | None = None,
        *,
        backoff: Backoff | None = None,
        keychain: Keychain | None = None,
        tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
        watch_network: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.options = options = options or Options()
        self.machine = SessionMachine()
        self.machine.subscribe(_log_transition)
        name = options.device_name or settings.device_name
        device = Device(settings.device_id, name)
        self.client = Client(
            self.machine,
            device,
            backoff=backoff,
            on_contested=self._contested,
            on_takeover=lambda news: self.asking.news(news),
        )
        self.keeper = Keeper(settings, keychain or Keychain(settings.profile))
        self.signals = SessionSignals(self.machine)
        self.listed = ListSignals(self.client.sessions)
        # Before any widget exists, so every window is born in the right language.
        self.translations = Translations()
        language = options.language or settings.language or system_language()
        self.translations.use(language)
        self.login = LoginWindow()
        self.main = MainWindow()
        self.prompt = TakeoverPrompt(self.main)
        self.tray = Tray() if tray_available() else None
        self.network = NetworkWatch(load=watch_network)
        self.outbox = Outbox(self.client, self.keeper, self.login, self._spawn)
        self.asking = Asking(
            self.client, self.prompt, self.main, self.tray, self._spawn, self._may_ask
        )
        self.ending_box: QMessageBox | None = None
        self._ending_state: State | None = None
        self.question: TakeoverQuestion | None = None
        self.end_question: EndQuestion | None = None
        self._ending_sessions: asyncio.Task[None] | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._signing_in: asyncio.Task[None] | None = None
        self._quitting: asyncio.Task[None] | None = None
        self._told_keychain = False

        self.signals.changed.connect(self.main.on_transition)
        self.signals.changed.connect(self._on_transition)
        self.login.submitted.connect(self.submit)
        self.login.cancel_requested.connect(self.cancel_sign_in)
        self.login.language_chosen.connect(self.choose_language)
        self.login.close_requested.connect(self.request_quit)
        self.main.close_requested.connect(self.close_main)
        self.main.sign_out_requested.connect(self.sign_out)
        self.main.retry_requested.connect(self.retry_now)
        self.main.sessions.reload_requested.connect(self.refresh_sessions)
        self.main.sessions.end_requested.connect(self.end_session)
        self.main.sessions.end_others_requested.connect(self.end_other_sessions)
        self.listed.changed.connect(self.main.sessions.show_sessions)
        self.network.back_online.connect(self.retry_now)
        if self.tray is not None:
            self.signals.changed.connect(self.tray.on_transition)
            self.tray.open_requested.connect(self.open_window)
            self.tray.sign_out_requested.connect(self.sign_out)
            self.tray.quit_requested.connect(self.request_quit)

    # -- start ------------------------------------------------------------------------------

    def start(self) -> None:
        """Show the login window, or resume a remembered session; automation signs in once."""
        self.login.set_language(self.translations.language)
        remembered = self.settings.username
        self.login.server.setText(self.options.server or self.settings.server or DEFAULT_SERVER)
        self.login.username.setText(self.options.username or remembered or "")
        self.login.remember.setChecked(remembered is not None)
        self.login.stay.setChecked(self.settings.stay_signed_in)
        self.login.device_name.setText(self.client.device.device_name)
        self._title_windows()
        if self.tray is not None:
            self.tray.show()
        self.outbox.resume_at_start()
        if self.options.username and self.options.password:
            self.login.show()
            self.login.password.setText(self.options.password)
            self.options = replace(self.options, password=None)  # once, and not kept
            self.submit()
        elif not self._resume():
            self.login.show()
            (self.login.password if self.login.username.text() else self.login.username).setFocus()

    def _resume(self) -> bool:
        """Pick up the session "stay signed in" kept; True when one is being resumed."""
        held = self.keeper.remembered()
        if held is None:
            if self.keeper.unreadable:
                self._tell_keychain(reading=True)
            return False
        if not self.client.resume(held.server, held.username, held.token):
            self.keeper.forget()
            return False
        self.login.server.setText(held.server)
        self.login.username.setText(held.username)
        return True

    # -- the person's requests ----------------------------------------------------------

    def submit(self) -> None:
        if self.machine.snapshot.active or self._quitting is not None:
            return
        server = self.login.server.text().strip()
        username = self.login.username.text().strip()
        # Left in the field until the server has judged it: a network error must
        # not make the person type it again (cleared on success or a wrong password).
        password = self.login.password.text()
        if not username or not password:
            self.login.show_message(
                lambda: translate("Controller", "Enter your username and password."), error=True
            )
            return
        self._use_device_name(self.login.device_name.text().strip())
        self._signing_in = self._spawn(self._sign_in(server, username, password))

    def cancel_sign_in(self) -> None:
        """Stop a sign-in that is waiting for the server; the form keeps what was typed."""
        task = self._signing_in
        if task is not None and not task.done() and self.machine.state is State.LOGGING_IN:
            task.cancel()

    def _use_device_name(self, name: str) -> None:
        if not name or name == self.client.device.device_name:
            return
        self.client.device = Device(self.client.device.device_id, name)
        self.settings.device_name = name
        self._title_windows()

    def _title_windows(self) -> None:
        for window in (self.login, self.main):
            window.set_device_label(self.client.device.device_name)

    async def _sign_in(self, server: str, username: str, password: str) -> None:
        stay = self.login.stay.isChecked()
        if not await self.client.sign_in(server, username, password, self._confirm_takeover):
            return
        self.settings.server = server
        self.settings.username = username if self.login.remember.isChecked() else None
        held = self.client.held
        if not stay or held is None:
            self.keeper.forget()
            self.settings.stay_signed_in = False
        elif self.keeper.keep(held):
            self.settings.stay_signed_in = True
        else:
            self.settings.stay_signed_in = False
            self.login.stay.setChecked(False)
            self._tell_keychain(reading=False)

    def _may_ask(self) -> bool:
        """Whether another PC's takeover request may be put to the person now."""
        return self.machine.snapshot.active and self._quitting is None

    def _contested(self, wait: float) -> None:
        """The server says PCs keep taking this account from each other: say so here."""
        self.main.show_notice(lambda: contested_message(wait))

    def answer_takeover(self, request_id: str, allow: bool) -> None:
        """Allow or Deny for the takeover request ``request_id`` (the prompt's buttons)."""
        self.asking.answer(request_id, allow)

    def _tell_keychain(self, *, reading: bool) -> None:
        """Once per run: the keychain would not keep (or give back) the session."""
        if self._told_keychain:
            return
        self._told_keychain = True
        window = self.login if reading else self.main
        window.show_notice(lambda: keychain_notice(reading))

    async def _confirm_takeover(self, sessions: tuple[Session, ...]) -> bool:
        self.question = TakeoverQuestion(self.login, sessions)
        try:
            return await self.question.answer
        finally:
            self.question = None

    def sign_out(self) -> None:
        if self.machine.snapshot.active and self._quitting is None:
            self.main.sign_out.setEnabled(False)
            self.keeper.forget()
            self._spawn(self._sign_out())

    async def _sign_out(self) -> None:
        pending = await self.client.sign_out()
        if pending is not None:
            self.outbox.put(pending)

    def retry_now(self) -> None:
        """Reconnect (and resend a pending sign-out) at once: a click, or the network is back."""
        self.client.retry_now()
        self.outbox.wake()

    def refresh_sessions(self) -> None:
        """Fetch the sessions list (after each hello, and "Try again"); messages keep it live."""
        if self.client.signed_in:
            self._spawn(self._refresh_sessions())

    async def _refresh_sessions(self, *, quietly: bool = False) -> None:
        view = self.main.sessions
        if not quietly:
            view.show_status(lambda: translate("Controller", "Loading…"))
        try:
            await self.client.load_sessions()  # the view follows client.sessions
        except SessionEnded:
            return  # the machine has moved to the ended state; the dialog says why
        except ApiError as exc:
            failure = LoginFailure(exc.kind, status=exc.status)
            server = self.machine.snapshot.server or ""
            view.show_status(
                lambda: fill(
                    translate("Controller", "Could not load the sessions. %1"),
                    failure_message(failure, server),
                ),
                retry=True,
            )

    def end_session(self, row: OwnSession) -> None:
        """An End click: ask, then end that PC's session."""
        if self.client.signed_in and self._ending_sessions is None:
            self._ending_sessions = self._spawn(self._end([row], others=False))

    def end_other_sessions(self) -> None:
        """The "End all other sessions" click: ask, then end every session but this PC's."""
        others = self.main.sessions.others
        if self.client.signed_in and others and self._ending_sessions is None:
            self._ending_sessions = self._spawn(self._end(others, others=True))

    async def _end(self, sessions: list[OwnSession], *, others: bool) -> None:
        view = self.main.sessions
        question = self.end_question = EndQuestion(self.main, sessions, others=others)
        try:
            if not await question.answer:
                return
            self.end_question = None
            view.show_notice(None)
            view.set_busy(True)
            await self._end_confirmed(sessions, others=others)
        finally:
            question.cancel()  # quitting or signed out meanwhile: the box goes too
            self.end_question = None
            self._ending_sessions = None
            view.set_busy(False)

    async def _end_confirmed(self, sessions: list[OwnSession], *, others: bool) -> None:
        view = self.main.sessions
        device = None if others else sessions[0]["device_name"]
        try:
            if others:
                await self.client.end_other_sessions()
            else:
                await self.client.end_session(sessions[0]["id"])
        except SessionEnded:
            return  # this PC's own session is over: the ending dialog says why
        except NoSuchSession:
            assert device is not None
            view.show_notice(lambda: already_ended(device))
        except ApiError as exc:
            failure = LoginFailure(exc.kind, status=exc.status)
            server = self.machine.snapshot.server or ""
            view.show_notice(lambda: end_failure(failure, server, device))
            return  # nothing changed on the server, as far as anyone can tell
        # The socket's message usually says it first; this fetch also covers a socket
        # that is down, and is dropped if the message overtakes it.
        await self._refresh_sessions(quietly=True)

    def choose_language(self, language: str) -> None:
        self.translations.use(language)
        self.settings.language = self.translations.language
        if self.tray is not None:
            self.tray.retranslate()

    def open_window(self) -> None:
        """Bring the window that fits the session to the front (the tray's Open)."""
        window = self.main if self.machine.snapshot.active else self.login
        window.show()
        window.raise_()
        window.activateWindow()

    def close_main(self) -> None:
        """The main window's close button: to the tray when staying signed in, else quit."""
        if self.tray is not None and self.keeper.remembering and self.machine.snapshot.active:
            self.main.hide()
            self.tray.hidden_to_tray()
        else:
            self.request_quit()

    # -- what the session does ------------------------------------------------------------

    def _on_transition(self, transition: Transition) -> None:
        s = transition.new
        if s.state is State.LOGGING_IN and s.session is None:
            self._close_ending()
            self.login.set_busy(True)
            self.login.show_waiting(s.approval_in)
        elif s.active:  # admitted, connected, reconnecting or resumed: the main window's turn
            self.login.password.clear()
            old = transition.old
            # Only on the way in: a window hidden to the tray stays hidden on a reconnect.
            if not old.active or (old.state is State.LOGGING_IN and old.session is None):
                self._close_ending()
                self.main.sign_out.setEnabled(True)
                self.main.show()
                self.login.hide()
                self.login.set_busy(False)
            if s.state is State.CONNECTED and transition.state_changed:
                self.refresh_sessions()
        elif s.ended:
            self.keeper.forget()
            self._show_login()
            # Also under the form, so the reason is still there after the box is closed.
            self.login.show_message(lambda: ending_message(s))
            self._open_ending()
        else:  # logged out: signed out, failed sign-in, or an ending acknowledged
            self._show_login()
            failure, server = s.failure, s.server or ""
            if failure is not None and failure.kind is FailureKind.INVALID_CREDENTIALS:
                self.login.password.clear()
            if failure is not None:
                error = failure.kind is not FailureKind.CANCELLED
                self.login.show_message(lambda: failure_message(failure, server), error=error)

    def _show_login(self) -> None:
        if self.end_question is not None:
            self.end_question.cancel()  # nothing left to end from here
        self.prompt.dismiss()  # no session left to hand over
        self.main.hide()
        self.main.sessions.clear()
        self.main.show_notice(None)
        self.login.set_busy(False)
        self.login.show()
        self.login.raise_()
        self.login.activateWindow()
        (self.login.password if self.login.username.text() else self.login.username).setFocus()

    def _open_ending(self) -> None:
        self._close_ending()
        box = open_ending(self.login, self.machine.snapshot)
        self._ending_state = self.machine.state
        # A bound slot, not a lambda holding the box: a connection that keeps its
        # own sender alive crashes PySide when the box is deleted.
        box.finished.connect(self._ending_closed)
        self.ending_box = box

    def _ending_closed(self, _result: int) -> None:
        box = self.sender()
        if box is self.ending_box:
            self.ending_box = None
            if self.machine.state is self._ending_state:
                self.machine.acknowledge()
        if box is not None:
            box.deleteLater()

    def _close_ending(self) -> None:
        box, self.ending_box = self.ending_box, None
        if box is not None:
            box.close()

    # -- tasks and quitting ------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Same route as an exception in a Qt slot: visible, and fatal under pytest-qt.
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def request_quit(self) -> None:
        """Start quitting (idempotent); :attr:`closed` resolves when done."""
        if self._quitting is None:
            self._quitting = asyncio.get_running_loop().create_task(self._quit())

    async def quit(self) -> None:
        """Quit and wait until done; calling it again (or concurrently) is harmless."""
        self.request_quit()
        assert self._quitting is not None
        await asyncio.shield(self._quitting)

    async def _quit(self) -> None:
        if self.question is not None:
            self.question.cancel()
        await _cancel_all(list(self._tasks))
        # Staying signed in means the session outlives the app: close the socket,
        # keep the token, send no logout.
        keep = self.keeper.remembering and self.client.signed_in
        pending = await self.client.aclose(keep_session=keep)
        if pending is not None:
            self.outbox.put(pending, send=False)  # the next start sends it
        self._close_ending()
        self.prompt.dismiss()
        self.main.hide()
        self.login.hide()
        if self.tray is not None:
            self.tray.hide()
        self.network.detach()
        self.signals.detach()
        self.listed.detach()
        if not self.closed.done():
            self.closed.set_result(None)


async def _cancel_all(tasks: Sequence[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _log_transition(transition: Transition) -> None:
    if transition.state_changed:
        state_log.info("%s", log_line(transition.new))
