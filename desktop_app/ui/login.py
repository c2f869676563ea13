"""The login window: server, username, password, "remember username", "stay
signed in on this PC", this PC's name and the language; a Cancel button while
a sign-in is under way (with a countdown while the PC in the way is asked to
allow it, under the ``ask`` policy), and a notice line (a sign-out still on its
way to the server). It only collects input and shows what the controller tells it;
signing in happens elsewhere."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.i18n import LANGUAGES, NATIVE_NAMES
from desktop_app.ui import TopLevel, named, plain, titled
from desktop_app.ui.wording import fill


class LoginWindow(TopLevel, QWidget):
    """Emits ``submitted`` when the person asks to sign in; never blocks."""

    submitted = Signal()
    cancel_requested = Signal()
    language_chosen = Signal(str)
    close_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("loginWindow")
        self.setMinimumWidth(420)
        self.heading = plain.label()
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.heading.setFont(font)

        self.server = named("server", QLineEdit())
        self.username = named("username", QLineEdit())
        self.password = named("password", QLineEdit())
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = named("remember", QCheckBox())
        self.stay = named("staySignedIn", QCheckBox())
        self.device_name = named("deviceName", QLineEdit())
        self.language = named("language", QComboBox())
        for code in LANGUAGES:
            self.language.addItem(NATIVE_NAMES[code], code)
        self.message = named("message", plain.label())  # may name the other PC
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = named("notice", plain.label())  # names the server
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.sign_in = named("signIn", QPushButton())
        self.sign_in.setDefault(True)
        self.cancel = named("cancel", QPushButton())
        self.cancel.setVisible(False)

        self._labels = {
            name: plain.label() for name in ("server", "username", "password", "device")
        }
        form = QFormLayout()
        form.addRow(self._labels["server"], self.server)
        form.addRow(self._labels["username"], self.username)
        form.addRow(self._labels["password"], self.password)
        form.addRow(plain.label(), self.remember)  # a str here would make an AutoText label
        form.addRow(plain.label(), self.stay)
        form.addRow(self._labels["device"], self.device_name)
        self._language_label = plain.label()
        form.addRow(self._language_label, self.language)

        form.setVerticalSpacing(8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 20)
        layout.setSpacing(12)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.notice)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_in, 1)
        buttons.addWidget(self.cancel)
        layout.addLayout(buttons)
        self.sign_in.setMinimumHeight(32)
        self.cancel.setMinimumHeight(32)

        self.sign_in.clicked.connect(self._submit)
        self.cancel.clicked.connect(self.cancel_requested)
        for field in (self.server, self.username, self.password):
            field.returnPressed.connect(self._submit)
        self.language.activated.connect(self._language_activated)
        self._busy = False
        self._waiting_until: float | None = None  # monotonic; the other PC's time to answer
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self._render_message)
        self._message: Callable[[], str] | None = None
        self._notice: Callable[[], str] | None = None
        self.retranslate()

    # -- what the controller calls --------------------------------------------------------

    def set_language(self, code: str) -> None:
        """Show ``code`` as selected without emitting ``language_chosen``."""
        index = self.language.findData(code)
        if index >= 0:
            self.language.setCurrentIndex(index)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.server, self.username, self.password, self.device_name):
            widget.setReadOnly(busy)
        self.sign_in.setEnabled(not busy)
        self.cancel.setVisible(busy)
        for box in (self.language, self.remember, self.stay):
            box.setEnabled(not busy)
        self._retranslate_button()
        if busy:
            self.show_message(None)
        else:
            self.show_waiting(None)

    def show_waiting(self, seconds: float | None) -> None:
        """The sign-in waits for the PC in the way to allow it, at most ``seconds`` more
        (counted down once a second, in place of the message); None: not waiting."""
        if seconds is None:
            self._waiting_until = None
            self._ticker.stop()
        else:
            self._waiting_until = time.monotonic() + seconds
            self._ticker.start()
        self._render_message()

    def waiting_text(self) -> str:
        """The waiting line with the seconds left; '' when not waiting."""
        if self._waiting_until is None:
            return ""
        left = math.ceil(max(0.0, self._waiting_until - time.monotonic()))
        if not left:  # the server's own slack: still waiting, no number to count
            return self.tr(
                "Your account is in use on another PC. Waiting for it to allow this sign-in…"
            )
        return fill(
            self.tr(
                "Your account is in use on another PC. Waiting for it to allow this sign-in… (%1 s)"
            ),
            left,
        )

    def show_message(self, text: Callable[[], str] | None, *, error: bool = False) -> None:
        """Show ``text()`` under the form (again after a language switch); None clears it."""
        self._message = text
        self.message.setStyleSheet("color: #b3261e;" if error else "")
        self._render_message()

    def _render_message(self) -> None:
        text = self.waiting_text()
        if not text and self._message is not None:
            text = self._message()
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_notice(self, text: Callable[[], str] | None) -> None:
        """A second line, independent of the message: ``text()`` again after a language switch."""
        self._notice = text
        self._render_notice()

    def _render_notice(self) -> None:
        text = self._notice() if self._notice is not None else ""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # -- Qt plumbing ---------------------------------------------------------------------

    def _submit(self) -> None:
        if not self._busy:
            self.submitted.emit()

    def _language_activated(self, index: int) -> None:
        self.language_chosen.emit(str(self.language.itemData(index)))

    def retranslate(self) -> None:
        self.setWindowTitle(titled(self.device_label, self.tr("LoginGuard — Sign in")))
        self.heading.setText(self.tr("Sign in to LoginGuard"))
        self._labels["server"].setText(self.tr("Server"))
        self._labels["username"].setText(self.tr("Username"))
        self._labels["password"].setText(self.tr("Password"))
        self._labels["device"].setText(self.tr("This PC's name"))
        self._language_label.setText(self.tr("Language"))
        self.remember.setText(self.tr("Remember username"))
        self.stay.setText(self.tr("Stay signed in on this PC"))
        self.cancel.setText(self.tr("Cancel"))
        self.server.setPlaceholderText("http://127.0.0.1:8000")
        self._retranslate_button()
        self._render_message()
        self._render_notice()

    def _retranslate_button(self) -> None:
        self.sign_in.setText(self.tr("Signing in…") if self._busy else self.tr("Sign in"))
