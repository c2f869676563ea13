"""The two dialogs: "you were signed out" and "take over from the other PC?".

Their sentences come from :mod:`desktop_app.ui.wording`.

Dialogs are opened with ``open()`` (window-modal, never ``exec()``): a nested
event loop inside a coroutine would break qasync. The takeover question hands
its answer back through an :class:`asyncio.Future`; the "you were signed out"
box reports through its ``finished`` signal. Both boxes show their text as
plain text (:mod:`desktop_app.ui.plain`): it quotes device names and IP
addresses the server sent on another PC's behalf.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.session import Snapshot
from desktop_app.ui import plain
from desktop_app.ui.wording import ending_message, fill, translate, where
from shared.messages import Session


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
                *where(sessions),
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
