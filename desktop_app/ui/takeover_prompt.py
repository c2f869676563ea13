"""The ``ask`` policy's prompt on the PC in the way: "PC-2 (203.0.113.5) wants to
sign in with your account" — Allow / Deny, with the seconds left counting down.

Not modal: the main window stays usable while it is open. One request at a
time (:class:`~desktop_app.takeover.Asked`): a newer one replaces the text and
the countdown. It goes away when the server settles the request
(:meth:`TakeoverPrompt.close_request`), when its time is up, when the
controller dismisses it (the session ended, or the answer arrived), or when the
person closes it — which is no answer: the server then applies its default.
Allow and Deny only emit ``answered``; the controller sends the answer and
reports back with :meth:`TakeoverPrompt.answer_failed` or a dismissal. The
device name and address came from another PC: every label is plain text.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desktop_app.session import LoginFailure
from desktop_app.takeover import Asked, TakeoverRequest
from desktop_app.ui import named, plain
from desktop_app.ui.wording import failure_message, fill, translate
from shared.messages import TakeoverOutcome


def gone_message(device: str, outcome: str | None) -> str:
    """Said when an answer arrived after the request from ``device`` was settled."""
    if outcome == TakeoverOutcome.TIMED_OUT:
        return fill(
            translate("Takeover", "The sign-in request from %1 had already timed out."), device
        )
    if outcome == TakeoverOutcome.CANCELLED:
        return fill(translate("Takeover", "%1 had already cancelled its sign-in."), device)
    return fill(
        translate(
            "Takeover", "The sign-in request from %1 had already ended before your answer arrived."
        ),
        device,
    )


def answer_failed_message(failure: LoginFailure, server: str) -> str:
    """Said in the prompt when the answer may not have reached the server."""
    return fill(
        translate("Takeover", "Your answer did not reach the server. %1"),
        failure_message(failure, server),
    )


class TakeoverPrompt(QDialog):
    """Emits ``answered(request id, allow)`` on Allow or Deny; never blocks."""

    answered = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("takeoverPrompt")
        self.setModal(False)
        self.setMinimumWidth(440)
        self.asked = Asked()
        self.heading = named("takeoverHeading", plain.label())  # title bars may not show
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.heading.setFont(font)
        self.text = named("takeoverText", plain.label())
        self.text.setWordWrap(True)
        self.countdown = named("takeoverCountdown", plain.label())
        self.error = named("takeoverError", plain.label())
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setVisible(False)
        self.allow = named("takeoverAllow", QPushButton())
        self.deny = named("takeoverDeny", QPushButton())
        # Deny is the default: a stray Enter must not sign this PC out.
        self.allow.setAutoDefault(False)
        self.deny.setAutoDefault(True)
        self.deny.setDefault(True)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.allow)
        buttons.addWidget(self.deny)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.text)
        layout.addWidget(self.countdown)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.allow.clicked.connect(self._allow)
        self.deny.clicked.connect(self._deny)
        self._ticker = QTimer(self, interval=250)
        self._ticker.timeout.connect(self._tick)
        self._error: Callable[[], str] | None = None
        self.retranslate()

    @property
    def request(self) -> TakeoverRequest | None:
        return self.asked.request

    # -- what the controller calls --------------------------------------------------------

    def ask(self, request: TakeoverRequest) -> None:
        """Show ``request`` (replacing any other) and bring the prompt to the front."""
        self.asked.ask(request, time.monotonic())
        self._error = None
        self._set_answering(False)
        self.retranslate()
        self._ticker.start()
        self.show()
        self.raise_()
        self.activateWindow()

    def close_request(self, ident: str) -> bool:
        """The server settled request ``ident``: the prompt goes if it was this one's."""
        if self.asked.close(ident):
            self.dismiss()
            return True
        return False

    def dismiss(self) -> None:
        """Nothing to ask any more (answered, or the session is over): hide."""
        self.asked.clear()
        self._ticker.stop()
        self.hide()

    def answer_failed(self, text: Callable[[], str]) -> None:
        """The answer may not have arrived: say ``text()`` and let the person try again."""
        self._error = text
        self._set_answering(False)
        self._render()

    # -- Qt plumbing ---------------------------------------------------------------------

    def _allow(self) -> None:
        self._clicked(True)

    def _deny(self) -> None:
        self._clicked(False)

    def _clicked(self, allow: bool) -> None:
        request = self.asked.request
        if request is not None and self.allow.isEnabled():
            self._error = None
            self._set_answering(True)
            self._render()
            self.answered.emit(request.id, allow)

    def _set_answering(self, answering: bool) -> None:
        self.allow.setEnabled(not answering)
        self.deny.setEnabled(not answering)

    def _tick(self) -> None:
        if self.asked.expire(time.monotonic()):
            self.dismiss()  # the server applies its default now
        else:
            self._render()

    def reject(self) -> None:
        """Escape or the close button: no answer (the server's default applies)."""
        self.dismiss()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(translate("Takeover", "Sign-in request"))
        self.heading.setText(self.windowTitle())
        self.allow.setText(translate("Takeover", "Allow"))
        self.deny.setText(translate("Takeover", "Deny"))
        self._render()

    def _render(self) -> None:
        request = self.asked.request
        if request is None:
            return
        self.text.setText(
            fill(
                translate(
                    "Takeover",
                    "%1 (%2) wants to sign in with your account. "
                    "If you allow it, this PC is signed out.",
                ),
                request.by["device_name"],
                request.by["ip"],
            )
        )
        left = self.asked.seconds_left(time.monotonic())
        self.countdown.setText(fill(translate("Takeover", "Answer within %1 s."), left))
        error = self._error() if self._error is not None else ""
        self.error.setText(error)
        self.error.setVisible(bool(error))
