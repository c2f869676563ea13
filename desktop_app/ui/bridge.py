"""The session machine's observer list, as a Qt signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

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
