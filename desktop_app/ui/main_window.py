"""The main window: who is signed in, on which PC, since when, and the live
connection state (Connected / Reconnecting in N s / Offline), with "Retry
now" while it is not connected, and a notice line (the keychain could not
keep the session).

Every label is plain text (:mod:`desktop_app.ui.plain`): the username and the
PC's name come back from the server, and the coloured dot of the connection line
is a label of its own rather than a ``<span>`` in rich text."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.session import Snapshot, State, Transition
from desktop_app.ui import TopLevel, named, plain, titled
from desktop_app.ui.sessions_view import SessionsView
from desktop_app.ui.wording import fill, when

OFFLINE_AFTER = 3
"""Failed reconnect attempts after which the state reads "Offline" rather than a blip."""

_COLOURS = {"ok": "#1e8e3e", "wait": "#e37400", "off": "#b3261e"}


class MainWindow(TopLevel, QMainWindow):
    sign_out_requested = Signal()
    retry_requested = Signal()
    close_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.resize(640, 400)
        self.heading = named("user", plain.label())
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.heading.setFont(font)
        self.device = named("device", plain.label())
        self.since = named("since", plain.label())
        self.connection_dot = named("connectionDot", plain.label("●"))
        self.connection = named("connection", plain.label())
        self.retry = named("retryNow", QPushButton())
        self.retry.setVisible(False)
        self.notice = named("mainNotice", plain.label())
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.sessions = SessionsView()
        self.sign_out = named("signOut", QPushButton())

        self._labels = {k: plain.label() for k in ("device", "since", "connection")}
        form = QFormLayout()
        form.addRow(self._labels["device"], self.device)
        form.addRow(self._labels["since"], self.since)
        connection = QHBoxLayout()
        connection.setSpacing(4)  # about the width of the space it replaces
        connection.addWidget(self.connection_dot)
        connection.addWidget(self.connection, 1)
        connection.addWidget(self.retry)
        form.addRow(self._labels["connection"], connection)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.sign_out)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(self.notice)
        layout.addSpacing(8)
        layout.addWidget(self.sessions, 1)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

        self.sign_out.clicked.connect(self.sign_out_requested)
        self.retry.clicked.connect(self.retry_requested)
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self._render_connection)
        self._snapshot = Snapshot()
        self._retry_deadline: float | None = None
        self._notice: Callable[[], str] | None = None
        self.retranslate()

    def on_transition(self, transition: Transition) -> None:
        """Redraw from the machine's newest snapshot."""
        snapshot = transition.new
        self._snapshot = snapshot
        if snapshot.state is State.RECONNECTING and snapshot.retry_in is not None:
            self._retry_deadline = time.monotonic() + snapshot.retry_in
            self._ticker.start()
        else:
            self._retry_deadline = None
            self._ticker.stop()
        self._render()

    def show_notice(self, text: Callable[[], str] | None) -> None:
        """A line under the details (``text()`` again after a language switch); None hides it."""
        self._notice = text
        self._render_notice()

    def _render_notice(self) -> None:
        text = self._notice() if self._notice is not None else ""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def connection_text(self) -> tuple[str, str]:
        """The connection line and its colour key, for the current snapshot."""
        s = self._snapshot
        if s.state is State.CONNECTED:
            return self.tr("Connected"), "ok"
        if s.state is State.LOGGING_IN:
            return self.tr("Connecting…"), "wait"
        if s.state is State.RECONNECTING:
            left = None
            if self._retry_deadline is not None:
                left = math.ceil(max(0.0, self._retry_deadline - time.monotonic()))
            if not left:
                return self.tr("Reconnecting…"), "wait"
            if s.attempt >= OFFLINE_AFTER:
                return fill(self.tr("Offline — retrying in %1 s"), left), "off"
            return fill(self.tr("Reconnecting in %1 s"), left), "wait"
        return self.tr("Offline"), "off"

    def _render(self) -> None:
        s = self._snapshot
        self.heading.setText(fill(self.tr("Signed in as %1"), s.username or ""))
        session = s.session
        self.device.setText(session["device_name"] if session else "")
        self.since.setText(when(session["created_at"]) if session else "")
        self._render_connection()

    def _render_connection(self) -> None:
        self.retry.setVisible(self._snapshot.state is State.RECONNECTING)
        text, colour = self.connection_text()
        self.connection_dot.setStyleSheet(f"color: {_COLOURS[colour]};")
        self.connection.setText(text)

    def retranslate(self) -> None:
        self.setWindowTitle(titled(self.device_label, self.tr("LoginGuard")))
        self._labels["device"].setText(self.tr("This PC"))
        self._labels["since"].setText(self.tr("Signed in since"))
        self._labels["connection"].setText(self.tr("Connection"))
        self.sign_out.setText(self.tr("Sign out"))
        self.retry.setText(self.tr("Retry now"))
        self._render()
        self._render_notice()
