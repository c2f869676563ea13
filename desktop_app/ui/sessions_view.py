"""The "Sessions" view: this account's live sessions, this PC's marked."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, Signal
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


class SessionsView(QWidget):
    """A read-only table; ``refresh_requested`` asks the controller to reload it."""

    refresh_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sessionsView")
        self.title = plain.label()
        self.refresh = named("refresh", QPushButton())
        self.table = named("sessionsTable", QTableWidget(0, 4))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.status = named("sessionsStatus", plain.label())  # may quote the server
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self.refresh.clicked.connect(self.refresh_requested)
        self._rows: list[OwnSession] = []
        self._status: Callable[[], str] | None = None
        self.retranslate()

    def show_sessions(self, rows: Sequence[OwnSession]) -> None:
        self._rows = list(rows)
        self._status = None
        self._fill()

    def show_status(self, text: Callable[[], str] | None) -> None:
        """A line under the table (loading, or why loading failed), kept across languages."""
        self._status = text
        self.status.setText(text() if text else "")
        self.status.setVisible(text is not None)

    def clear(self) -> None:
        self.show_sessions([])

    def _fill(self) -> None:
        self.table.setRowCount(len(self._rows))
        for row, s in enumerate(self._rows):
            cells = (
                s["device_name"],
                s["ip"],
                when(s["created_at"]),
                self.tr("This PC") if s.get("current") else "",
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.show_status(self._status)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Your sessions"))
        self.refresh.setText(self.tr("Refresh"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Device"), self.tr("IP address"), self.tr("Signed in"), ""]
        )
        self._fill()
