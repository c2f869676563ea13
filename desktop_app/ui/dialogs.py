"""The dialogs: "you were signed out", "take over from the other PC?" and
"end the session on that PC?".

Their sentences come from :mod:`desktop_app.ui.wording` or are written here.

Dialogs are opened with ``open()`` (window-modal, never ``exec()``): a nested
event loop inside a coroutine would break qasync. A question hands its answer
back through an :class:`asyncio.Future`; the "you were signed out" box
reports through its ``finished`` signal. Every box shows its text as plain
text (:mod:`desktop_app.ui.plain`): it quotes device names and IP addresses
the server sent on another PC's behalf.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_app.session import Snapshot
from desktop_app.ui import plain
from desktop_app.ui.wording import ending_message, fill, translate, when, where
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


class Question(QObject):
    """A yes-or-cancel box that does not block.

    ``answer`` resolves to True only when the person chose ``yes``; closing the
    box, ``no``, or :meth:`cancel` (the app is quitting, or the session ended)
    resolve it False. ``no`` is the default button: a stray Enter changes nothing.
    """

    def __init__(
        self, parent: QWidget, name: str, title: str, text: str, yes: str, no: str
    ) -> None:
        super().__init__()
        self.answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        box = plain.message_box(parent)
        box.setObjectName(name)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
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


class TakeoverQuestion(Question):
    """ "This account is in use on <PC> since <time>. Sign in here …?" """

    def __init__(self, parent: QWidget, sessions: Sequence[Session]) -> None:
        text = fill(
            translate(
                "Messages",
                "This account is in use on %1 since %2. Sign in here and sign out the other PC?",
            ),
            *where(sessions),
        )
        super().__init__(
            parent,
            "takeoverDialog",
            translate("Messages", "Account in use"),
            text,
            translate("Messages", "Sign in here"),
            translate("Messages", "Cancel"),
        )


class EndQuestion(Question):
    """ "End the session on <PC> (<IP>), signed in since <time>?" — or on several PCs.

    ``sessions`` are the ones that would end: the one whose End was clicked, or
    every other session for "End all other sessions".
    """

    def __init__(self, parent: QWidget, sessions: Sequence[Session], *, others: bool) -> None:
        if len(sessions) == 1:
            s = sessions[0]
            text = fill(
                translate(
                    "Sessions",
                    "End the session on %1 (%2), signed in since %3? "
                    "That PC is signed out at once.",
                ),
                s["device_name"],
                s["ip"],
                when(s["created_at"]),
            )
        else:
            text = fill(
                translate(
                    "Sessions",
                    "End the sessions on %1? Those PCs are signed out at once; "
                    "this PC stays signed in.",
                ),
                where(sessions)[0],
            )
        if others:
            title = translate("Sessions", "End all other sessions")
            yes = translate("Sessions", "End all")
        else:
            title = yes = translate("Sessions", "End session")
        super().__init__(parent, "endDialog", title, text, yes, translate("Sessions", "Cancel"))
