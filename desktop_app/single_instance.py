"""One running app per profile: a second start brings the first window forward and exits.

The first start of a profile takes a lock file beside the profile's settings and listens
on a local socket (a named pipe on Windows) named after that settings file. A later start
of the same profile cannot take the lock; it connects, sends ``raise``, waits for
``raised`` and exits with status 0, so clicking the Start-menu entry twice never opens a
second session of the same PC.

Guarantees: the lock decides, not the socket, so two starts at the same moment never both
win; a lock left by a start that crashed or was killed is taken over (its process is gone,
which QLockFile checks; its age never counts, the app holds it for days). Not guaranteed:
that Windows hands the focus to the raised window: the second start allows it
(``AllowSetForegroundWindow``), but Windows may still only flash the taskbar button.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QWidget

RAISE = b"raise\n"
RAISED = b"raised\n"
log = logging.getLogger("loginguard.instance")


class InstanceGuard(QObject):
    """The running app's hold on one profile; :attr:`raise_requested` fires per later start."""

    raise_requested = Signal()

    def __init__(self, name: str, lock_path: Path) -> None:
        super().__init__()
        self.name = name
        self.lock_path = lock_path
        self._lock = QLockFile(str(lock_path))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone
        self._server: QLocalServer | None = None

    def claim(self) -> bool:
        """Take the profile: True when this is the first start, which then listens."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        if not self._lock.tryLock(0):
            return False
        # The lock is ours, so a socket file of that name is a crashed start's leftover.
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._answer)
        if not server.listen(self.name):
            # Still the only session of this profile; later starts will say we do not answer.
            log.warning("cannot listen on %s: %s", self.name, server.errorString())
        self._server = server
        return True

    def release(self) -> None:
        """Stop answering and give the profile up (also done when the process ends)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()

    def _answer(self) -> None:
        assert self._server is not None
        while (peer := self._server.nextPendingConnection()) is not None:
            # Local and tiny: waiting here for one line holds the window up for
            # milliseconds, and only when someone starts the profile again.
            if peer.waitForReadyRead(2000) and bytes(peer.readLine(64).data()) == RAISE:
                self.raise_requested.emit()
                peer.write(RAISED)
                peer.waitForBytesWritten(2000)
            peer.disconnectFromServer()
            peer.deleteLater()


def ask_first_to_raise(name: str, wait: float = 5.0) -> bool:
    """From a later start: ask the running one to raise its window; True once it has.

    Retries for ``wait`` seconds: the first start may hold the lock and not listen yet.
    """
    _allow_focus_steal()
    deadline = time.monotonic() + wait
    while True:
        peer = QLocalSocket()
        peer.connectToServer(name)
        if peer.waitForConnected(500):
            peer.write(RAISE)
            answered = peer.waitForBytesWritten(2000) and peer.waitForReadyRead(3000)
            reply = bytes(peer.readLine(64).data()) if answered else b""
            peer.abort()
            return reply == RAISED
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def bring_to_front(app: QApplication) -> list[QWidget]:
    """Show, un-minimise, raise and activate every visible top-level window; return them."""
    shown = [w for w in app.topLevelWidgets() if w.isVisible()]
    for window in shown:
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()
    return shown


def _allow_focus_steal() -> None:
    # Windows lets only the foreground process (this one, just started by the person)
    # move another window to the front, and only if it says so first.
    if sys.platform == "win32":
        import ctypes

        asfw_any = -1
        ctypes.windll.user32.AllowSetForegroundWindow(asfw_any)  # type: ignore[attr-defined]
