"""The session machine's and the sessions list's observer lists, as Qt signals.

Through a signal, a slot that raises is reported by Qt (and fails a pytest-qt
test) instead of unwinding into the client's socket loop that announced the change.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop_app.own_sessions import OwnSessions, Rows
from desktop_app.session import SessionMachine, Transition


class SessionSignals(QObject):
    """Re-emits every :class:`~desktop_app.session.Transition` as ``changed``.

    Emitted synchronously in the GUI thread (asyncio runs inside Qt's loop), so a
    slot sees the machine exactly in the state the transition describes.
    """

    changed = Signal(object)  # Transition

    def __init__(self, machine: SessionMachine) -> None:
        super().__init__()
        self._unsubscribe = machine.subscribe(self._emit)

    def _emit(self, transition: Transition) -> None:
        self.changed.emit(transition)

    def detach(self) -> None:
        self._unsubscribe()


class ListSignals(QObject):
    """Re-emits every change of an :class:`~desktop_app.own_sessions.OwnSessions` as
    ``changed`` (the rows, or None), synchronously in the GUI thread."""

    changed = Signal(object)  # Rows | None

    def __init__(self, sessions: OwnSessions) -> None:
        super().__init__()
        self._unsubscribe = sessions.subscribe(self._emit)

    def _emit(self, rows: Rows | None) -> None:
        self.changed.emit(rows)

    def detach(self) -> None:
        self._unsubscribe()
