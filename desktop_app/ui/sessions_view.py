"""The "Sessions" view: this account's live sessions, this PC's marked, the others
each with an "End" button, and "End all other sessions".

The view only shows and asks: it draws whatever list the controller hands it
(kept live from the server's ``sessions`` messages, so there is no Refresh
button; "Try again" appears only when loading failed) and turns clicks into
``end_requested`` (with the row), ``end_others_requested`` and
``reload_requested``. Confirming, calling the server and wording the outcome
are the controller's. Device names and addresses sit in table cells, which Qt
draws as plain text; every label comes from :mod:`desktop_app.ui.plain`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui import named, plain
from desktop_app.ui.wording import when
from desktop_app.wire import OwnSession

Text = Callable[[], str]  # called again after a language switch

ACTION = 3  # the column with "This PC" or the End button
_CELL_MARGIN = 2  # pixels around an End button inside its cell


def ordered(rows: Sequence[OwnSession]) -> list[OwnSession]:
    """This PC first, then the others from the longest signed in."""
    return sorted(rows, key=lambda s: (not s.get("current"), s["created_at"]))


class SessionsView(QWidget):
    end_requested = Signal(object)  # the OwnSession row whose End was clicked
    end_others_requested = Signal()
    reload_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sessionsView")
        self.title = plain.label()
        self.end_others = named("endOthers", QPushButton())
        self.table = named("sessionsTable", QTableWidget(0, 4))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, ACTION):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.status = named("sessionsStatus", plain.label())  # may quote the server address
        self.status.setWordWrap(True)
        self.reload = named("reloadSessions", QPushButton())
        self.notice = named("sessionsNotice", plain.label())  # how the last End went, if badly
        self.notice.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.end_others)
        status = QHBoxLayout()
        status.addWidget(self.status, 1)
        status.addWidget(self.reload)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(status)
        layout.addWidget(self.notice)
        self.end_others.clicked.connect(self.end_others_requested)
        self.reload.clicked.connect(self.reload_requested)
        self._rows: list[OwnSession] = []
        self._status: Text | None = None
        self._notice: Text | None = None
        self._retry = False
        self._busy = False
        self.retranslate()

    # -- what the controller tells it ---------------------------------------------------

    def show_sessions(self, rows: Sequence[OwnSession] | None) -> None:
        """The whole list (None: not known); a loading status goes, a notice stays."""
        self._rows = ordered(rows or ())
        if rows is not None:
            self.show_status(None)
        self._fill()

    def show_status(self, text: Text | None, *, retry: bool = False) -> None:
        """A line under the table: loading, or why loading failed (``retry``: "Try again")."""
        self._status, self._retry = text, retry
        self.status.setText(text() if text else "")
        self.status.setVisible(text is not None)
        self.reload.setVisible(retry)

    def show_notice(self, text: Text | None) -> None:
        """What became of the last End, when it did not simply work; None hides it."""
        self._notice = text
        self.notice.setText(text() if text else "")
        self.notice.setVisible(text is not None)

    def set_busy(self, busy: bool) -> None:
        """While an End is on its way, no other can be started."""
        self._busy = busy
        self._enable()

    def clear(self) -> None:
        self.set_busy(False)
        self.show_sessions(None)
        self.show_status(None)
        self.show_notice(None)

    @property
    def others(self) -> list[OwnSession]:
        """The rows that are not this PC, in the order shown."""
        return [s for s in self._rows if not s.get("current")]

    def end_button(self, row: int) -> QPushButton | None:
        """The End button of table row ``row``; None on this PC's row."""
        cell = self.table.cellWidget(row, ACTION)
        return cell.findChild(QPushButton, "endSession") if cell is not None else None

    # -- drawing ------------------------------------------------------------------------

    def _fill(self) -> None:
        self.table.setRowCount(0)  # the old rows' End buttons go with them
        self.table.setRowCount(len(self._rows))
        for row, s in enumerate(self._rows):
            current = bool(s.get("current"))
            cells = (s["device_name"], s["ip"], when(s["created_at"]))
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
            mark = QTableWidgetItem(self.tr("This PC") if current else "")
            mark.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, ACTION, mark)
            if not current:
                self.table.setCellWidget(row, ACTION, self._end_cell(s["id"]))
        # Every row as tall as one holding a button, so the rows line up whatever they hold.
        height = self.end_others.sizeHint().height() + 2 * _CELL_MARGIN  # same style of button
        for row in range(self.table.rowCount()):
            self.table.setRowHeight(row, height)
        self._enable()

    def _end_cell(self, session_id: str) -> QWidget:
        button = named("endSession", QPushButton(self.tr("End")))
        button.setProperty("sessionId", session_id)
        button.clicked.connect(self._end_clicked)  # a bound slot: see _end_clicked
        cell = QWidget()
        layout = QHBoxLayout(cell)
        layout.setContentsMargins(_CELL_MARGIN * 2, _CELL_MARGIN, _CELL_MARGIN * 2, _CELL_MARGIN)
        layout.addWidget(button)
        return cell

    def _end_clicked(self) -> None:
        # Bound slot plus sender(), not a lambda holding the button: PySide crashes
        # when a connection keeps its own sender alive past deleteLater.
        button = self.sender()
        wanted = button.property("sessionId") if button is not None else None
        rows = [s for s in self._rows if s["id"] == wanted]  # gone meanwhile: nothing to end
        if rows and not self._busy:
            self.end_requested.emit(rows[0])

    def _enable(self) -> None:
        self.end_others.setEnabled(not self._busy and bool(self.others))
        for row in range(self.table.rowCount()):
            button = self.end_button(row)
            if button is not None:
                button.setEnabled(not self._busy)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Your sessions"))
        self.end_others.setText(self.tr("End all other sessions"))
        self.reload.setText(self.tr("Try again"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Device"), self.tr("IP address"), self.tr("Signed in"), ""]
        )
        self._fill()
        self.show_status(self._status, retry=self._retry)
        self.show_notice(self._notice)
