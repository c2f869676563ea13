"""The widgets. They watch the session machine through :class:`SessionSignals` and
ask the controller to act; none of them talks to the network."""

from typing import TypeVar

from PySide6.QtCore import QObject

_O = TypeVar("_O", bound=QObject)


def titled(device: str, title: str) -> str:
    """A window title that says which PC this is: two instances on one screen differ."""
    return f"{device} — {title}" if device else title


def named(name: str, obj: _O) -> _O:
    """Give ``obj`` an objectName (tests and style sheets find widgets by it)."""
    obj.setObjectName(name)
    return obj
