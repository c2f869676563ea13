"""The widgets. They watch the session machine through :class:`SessionSignals` and
ask the controller to act; none of them talks to the network."""

from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, QObject, SignalInstance
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QWidget

_O = TypeVar("_O", bound=QObject)


def titled(device: str, title: str) -> str:
    """A window title that says which PC this is: two instances on one screen differ."""
    return f"{device} — {title}" if device else title


if TYPE_CHECKING:
    _Widget = QWidget
else:
    _Widget = object  # a plain mixin at run time; Qt's class comes later in the MRO


class TopLevel(_Widget):
    """Mixed into both top-level windows (listed before the Qt class).

    Closing a window only asks (``close_requested``): whether that quits the app
    is the controller's decision. A language change redraws every text.
    """

    close_requested: SignalInstance  # each window declares the Signal itself
    device_label = ""  # the PC's name in the title; set by the controller

    def retranslate(self) -> None:
        raise NotImplementedError

    def set_device_label(self, name: str) -> None:
        self.device_label = name
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.close_requested.emit()


def named(name: str, obj: _O) -> _O:
    """Give ``obj`` an objectName (tests and style sheets find widgets by it)."""
    obj.setObjectName(name)
    return obj
