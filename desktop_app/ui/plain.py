"""Labels and message boxes that show their text literally, never as markup.

QLabel and QMessageBox default to ``Qt.TextFormat.AutoText``: a text that looks
like HTML (``Qt.mightBeRichText``) is rendered as rich text. Device names, IP
addresses, usernames and server error details reach the screen from the server
or from other people, so a device named ``<a href="…">click</a>`` would become a
live link. Every label and message box the app creates comes from here, with
``Qt.TextFormat.PlainText``, whatever its text: no call site has to decide.

Not covered: markup interpreted elsewhere. Tool tips and What's This texts
guess rich text too; the app sets one, the tray icon's, which holds only its
own translated words (never a name from the server), and ``tests/desktop/ui/test_plain_text.py``
fails if a module starts to, or creates a QLabel / QMessageBox by hand, or lets
a QFormLayout create a label from a string. Window titles, buttons, line edits
and table cells are plain in Qt already.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

PLAIN = Qt.TextFormat.PlainText


def label(text: str = "") -> QLabel:
    """A QLabel that shows ``text`` (and every later ``setText``) as plain text."""
    widget = QLabel()
    widget.setTextFormat(PLAIN)
    widget.setText(text)
    return widget


def message_box(parent: QWidget) -> QMessageBox:
    """A QMessageBox whose text is plain, as are all the labels it holds.

    The box's own labels (text, icon) exist from construction; an informative
    or detailed text would add more, so the app sets neither.
    """
    box = QMessageBox(parent)
    box.setTextFormat(PLAIN)
    for inner in box.findChildren(QLabel):
        inner.setTextFormat(PLAIN)
    return box
