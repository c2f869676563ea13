"""The Qt binding under the app must keep Python's reference counts straight."""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QObject

from desktop_app.__main__ import binding_drops_none


def test_void_qt_calls_do_not_steal_references_to_none() -> None:
    """A PySide6 method that returns nothing leaves None's reference count alone.

    PySide6/shiboken6 6.12.0 on Python 3.11 drops one reference per such call, so
    a running app aborts with "none_dealloc" once the count reaches zero (Python
    3.12+ is immune: None is immortal there). Pin PySide6-Essentials below 6.12.
    """
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("x")
    lost = before - sys.getrefcount(None)
    assert lost < 10, f"PySide6 {PySide6.__version__} lost {lost} references to None"
    assert not binding_drops_none()
