"""The system tray icon: connected / offline / signed out at a glance, a menu
(Open, Sign out, Quit), and a native notification when another PC takes the
session over, or asks to (the ``ask`` policy).

Only created where a tray exists (``QSystemTrayIcon.isSystemTrayAvailable()``,
injected by the controller so tests can say yes). The tool tip and every
notification carry only the app's own translated words — never a device name
or anything else the server sent: some desktops render notification bodies
and tray tool tips as markup. The "you were signed out" dialog, which is
plain text, names the other PC.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop_app.session import State, Transition
from desktop_app.ui.wording import translate


class Look(Enum):
    CONNECTED = "connected"
    OFFLINE = "offline"
    SIGNED_OUT = "signed_out"


def look_of(state: State) -> Look:
    if state is State.CONNECTED:
        return Look.CONNECTED
    if state in (State.RECONNECTING, State.LOGGING_IN):
        return Look.OFFLINE
    return Look.SIGNED_OUT


def draw_icon(look: Look, size: int = 64) -> QIcon:
    """A disc: green and filled (connected), an orange ring (offline), a grey disc
    with a bar (signed out) — told apart by shape as well as colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    centre, radius = QPointF(size / 2, size / 2), size * 0.42
    if look is Look.CONNECTED:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#1e8e3e"))
        painter.drawEllipse(centre, radius, radius)
    elif look is Look.OFFLINE:
        painter.setPen(QPen(QColor("#e37400"), size * 0.16))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(centre, radius * 0.82, radius * 0.82)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#80868b"))
        painter.drawEllipse(centre, radius, radius)
        painter.setBrush(QColor("#ffffff"))
        painter.drawRect(int(size * 0.25), int(size * 0.44), int(size * 0.5), int(size * 0.12))
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    open_requested = Signal()
    sign_out_requested = Signal()
    quit_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.icons = {look: draw_icon(look) for look in Look}
        self.icon = QSystemTrayIcon()
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.open_action = QAction(self.menu)
        self.sign_out_action = QAction(self.menu)
        self.quit_action = QAction(self.menu)
        for action in (self.open_action, self.sign_out_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.open_action.triggered.connect(self.open_requested)
        self.sign_out_action.triggered.connect(self.sign_out_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        self.icon.activated.connect(self._activated)
        self.look = Look.SIGNED_OUT
        self.told_about_hiding = False
        self.retranslate()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def on_transition(self, transition: Transition) -> None:
        self.look = look_of(transition.new.state)
        self._render()
        if transition.state_changed and transition.new.state is State.DISPLACED:
            self.notify(
                translate("Tray", "Signed out"),
                translate(
                    "Tray",
                    "Your account signed in on another PC. Open LoginGuard for details.",
                ),
            )

    def takeover_requested(self) -> None:
        """Another PC asks to take the session (the prompt names it; this says only that)."""
        self.notify(
            translate("Tray", "Sign-in request"),
            translate(
                "Tray",
                "Another PC wants to sign in with your account. "
                "Open LoginGuard to allow or deny it.",
            ),
        )

    def hidden_to_tray(self) -> None:
        """The main window was closed but the app goes on: say so, once per run."""
        if not self.told_about_hiding:
            self.told_about_hiding = True
            self.notify(
                translate("Tray", "LoginGuard is still running"),
                translate(
                    "Tray", "You stay signed in. Use Quit in this icon's menu to close LoginGuard."
                ),
            )

    def notify(self, title: str, text: str) -> None:
        self.icon.showMessage(title, text, self.icons[self.look], 10_000)

    def tooltip(self) -> str:
        if self.look is Look.CONNECTED:
            return translate("Tray", "LoginGuard — connected")
        if self.look is Look.OFFLINE:
            return translate("Tray", "LoginGuard — offline")
        return translate("Tray", "LoginGuard — signed out")

    def retranslate(self) -> None:
        self.open_action.setText(translate("Tray", "Open LoginGuard"))
        self.sign_out_action.setText(translate("Tray", "Sign out"))
        self.quit_action.setText(translate("Tray", "Quit"))
        self._render()

    def _render(self) -> None:
        self.icon.setIcon(self.icons[self.look])
        # Our own words only (see the module docstring), so rich-text guessing is harmless.
        self.icon.setToolTip(self.tooltip())
        self.sign_out_action.setEnabled(self.look is not Look.SIGNED_OUT)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_requested.emit()
