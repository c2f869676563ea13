"""What the app says, in plain words, and the two dialogs that say it.

Dialogs are opened with ``open()`` (window-modal, never ``exec()``): a nested
event loop inside a coroutine would break qasync. The takeover question hands
its answer back through an :class:`asyncio.Future`; the "you were signed out"
box reports through its ``finished`` signal. Both boxes show their text as
plain text (:mod:`desktop_app.ui.plain`): it quotes device names and IP
addresses the server sent on another PC's behalf.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.session import FailureKind, LoginFailure, Snapshot, State
from desktop_app.ui import plain
from shared.messages import Session
from shared.reasons import EndReason

_PLACEHOLDER = re.compile(r"%([1-9])")
# The bare name is what lupdate looks for: translate("Context", "source text").
translate = QCoreApplication.translate


def fill(template: str, *values: object) -> str:
    """Qt-style ``%1``…``%9`` substitution in one pass (a value may contain ``%2``)."""
    return _PLACEHOLDER.sub(
        lambda m: str(values[int(m[1]) - 1]) if int(m[1]) <= len(values) else m[0], template
    )


def when(timestamp: float) -> str:
    """A Unix time as local date and time, the same shape in every language."""
    moment = QDateTime.fromMSecsSinceEpoch(round(timestamp * 1000))
    return QLocale().toString(moment, "yyyy-MM-dd HH:mm")


def ending_message(snapshot: Snapshot) -> str:
    """Why the session ended, in the current language; '' when it has not ended."""
    state, by = snapshot.state, snapshot.by
    if state is State.DISPLACED and by is not None:
        return fill(
            translate(
                "Messages",
                "You were signed out because your account signed in on %1 (%2) at %3.",
            ),
            by["device_name"],
            by["ip"],
            when(by["at"]),
        )
    if state is State.DISPLACED:
        return translate(
            "Messages", "You were signed out because your account signed in on another PC."
        )
    if state is State.EXPIRED:
        return translate(
            "Messages",
            "You were signed out because your session expired: it was idle too long "
            "or reached its time limit. Please sign in again.",
        )
    if state is State.REVOKED and snapshot.reason is EndReason.DISABLED:
        return translate(
            "Messages",
            "You were signed out because your account was disabled. "
            "Please contact your administrator.",
        )
    if state is State.REVOKED:
        return translate("Messages", "You were signed out by an administrator.")
    if state is State.LOGGED_OUT_ELSEWHERE:
        return translate(
            "Messages",
            "You were signed out because this session was signed out elsewhere. "
            "Please sign in again.",
        )
    if state is State.SERVER_RESET:
        return translate(
            "Messages",
            "The server was restarted or reset and no longer knows this sign-in. Sign in again.",
        )
    if state is State.TOKEN_INVALID:
        return translate(
            "Messages",
            "You were signed out because the server no longer accepts this sign-in "
            "(it may have been reset). Please sign in again.",
        )
    return ""


def _where(sessions: Sequence[Session]) -> tuple[str, str]:
    names = ", ".join(s["device_name"] for s in sessions) or "?"
    since = when(min(s["created_at"] for s in sessions)) if sessions else "?"
    return names, since


def failure_message(failure: LoginFailure, server: str = "") -> str:
    """Why a sign-in failed, in the current language."""
    kind = failure.kind
    if kind is FailureKind.INVALID_CREDENTIALS:
        return translate("Messages", "Wrong username or password.")
    if kind is FailureKind.SESSION_ACTIVE:
        return fill(
            translate(
                "Messages",
                "This account is in use on %1 since %2. Sign out there first, "
                "or ask an administrator.",
            ),
            *_where(failure.sessions),
        )
    if kind is FailureKind.DECLINED:
        return translate("Messages", "Not signed in. The other PC stays signed in.")
    if kind is FailureKind.RATE_LIMITED and failure.retry_after is not None:
        seconds = max(1, round(failure.retry_after))
        return fill(translate("Messages", "Too many failed attempts. Try again in %1 s."), seconds)
    if kind is FailureKind.RATE_LIMITED:
        return translate("Messages", "Too many failed attempts. Try again later.")
    if kind is FailureKind.STORE_UNAVAILABLE:
        return translate(
            "Messages", "The server cannot sign anyone in right now. Try again shortly."
        )
    if kind is FailureKind.UNREACHABLE:
        return fill(
            translate(
                "Messages", "Cannot reach the server at %1. Check the address and your network."
            ),
            server,
        )
    if kind is FailureKind.INVALID_ADDRESS:
        return fill(
            translate("Messages", "“%1” is not a server address. Example: http://127.0.0.1:8000"),
            server,
        )
    return fill(
        translate("Messages", "The server gave an answer this app does not understand (%1)."),
        failure.detail,
    )


def open_ending(parent: QWidget, snapshot: Snapshot) -> QMessageBox:
    """Open the "you were signed out" box over ``parent`` (window-modal, non-blocking).

    The caller connects ``finished`` and deletes the box when it is done with it.
    """
    box = plain.message_box(parent)
    box.setObjectName("endingDialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(translate("Messages", "Signed out"))
    box.setText(ending_message(snapshot))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText(translate("Messages", "OK"))
    box.open()
    return box


class TakeoverQuestion(QObject):
    """ "This account is in use on <PC> since <time>. Sign in here …?" without blocking.

    ``answer`` resolves to True only when the person chose "Sign in here"; closing
    the box, "Cancel", or :meth:`cancel` (the app is quitting) resolve it False.
    """

    def __init__(self, parent: QWidget, sessions: Sequence[Session]) -> None:
        super().__init__()
        self.answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        box = plain.message_box(parent)
        box.setObjectName("takeoverDialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(translate("Messages", "Account in use"))
        box.setText(
            fill(
                translate(
                    "Messages",
                    "This account is in use on %1 since %2. "
                    "Sign in here and sign out the other PC?",
                ),
                *_where(sessions),
            )
        )
        yes, no = translate("Messages", "Sign in here"), translate("Messages", "Cancel")
        self.yes = box.addButton(yes, QMessageBox.ButtonRole.YesRole)
        self.no = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.no)  # the safe choice: nobody is signed out by a stray Enter
        box.finished.connect(self._finished)
        self.box = box
        box.open()

    def _finished(self, _result: int) -> None:
        if not self.answer.done():
            self.answer.set_result(self.box.clickedButton() is self.yes)
        self.box.deleteLater()

    def cancel(self) -> None:
        if not self.answer.done():
            self.answer.set_result(False)
        if shiboken6.isValid(self.box):  # it may be gone already (closed, then deleted)
            self.box.close()
