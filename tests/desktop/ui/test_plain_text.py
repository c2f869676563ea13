"""Strings from the server or from other people are shown literally, never as markup."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QStyledItemDelegate, QWidget

import desktop_app
from tests.desktop.helpers import api_login, eventually
from tests.desktop.ui.conftest import App, Apps
from tests.support.server import ServerProcess

EVIL = '<b>evil</b> <a href="http://x">click</a>'
APP_DIR = Path(desktop_app.__file__).resolve().parent
PLAIN_MODULE = APP_DIR / "ui" / "plain.py"
#: Modules that may set a tool tip because it holds only the app's own translated words
#: (tests/desktop/ui/test_tray.py checks the tray's tool tips against that).
OWN_WORDS_TOOLTIPS = {APP_DIR / "ui" / "tray.py"}


def labels_in(*windows: QWidget) -> Iterator[QLabel | QMessageBox]:
    """Every QLabel and QMessageBox in ``windows`` and their children, dialogs included."""
    for window in windows:
        for widget in (window, *window.findChildren(QWidget)):
            if isinstance(widget, QLabel | QMessageBox):
                yield widget


def not_plain(*windows: QWidget) -> list[str]:
    return [
        f"{type(w).__name__} {w.objectName()!r}: {w.text()!r}"
        for w in labels_in(*windows)
        if w.textFormat() is not Qt.TextFormat.PlainText
    ]


def cell_texts(app: App) -> list[str]:
    table = app.c.main.sessions.table
    items = (table.item(row, 0) for row in range(table.rowCount()))
    return [item.text() for item in items if item is not None]


async def test_the_displaced_dialog_shows_an_html_device_name_as_literal_text(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """A displacing PC named with HTML is quoted character for character, in a plain-text box."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(memory_server.url)
        assert (await api_login(memory_server, device=EVIL)).status_code == 200
        text = await eventually(app.ending_text, wait=2, what="the displaced dialog")
        box = app.c.ending_box
        assert box is not None
        assert f"signed in on {EVIL} (127.0.0.1) at " in text
        assert box.textFormat() is Qt.TextFormat.PlainText
        inner = box.findChild(QLabel, "qt_msgbox_label")
        assert inner is not None
        assert inner.textFormat() is Qt.TextFormat.PlainText
        assert inner.text() == text
        message = app.c.login.message
        assert message.textFormat() is Qt.TextFormat.PlainText
        assert message.text() == text


async def test_no_label_or_box_in_either_window_interprets_markup_after_a_displacement(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """Every QLabel and QMessageBox of the login window, main window and dialog is PlainText."""
    async with apps() as launch:
        app = launch("PC-1")
        await app.connected(memory_server.url)
        await eventually(lambda: cell_texts(app) == ["PC-1"], what="the sessions list")
        assert (await api_login(memory_server, device=EVIL)).status_code == 200
        await eventually(app.ending_text, wait=2, what="the displaced dialog")
        windows = (app.c.login, app.c.main)
        walked = list(labels_in(*windows))
        assert app.c.ending_box in walked
        assert len(walked) > 15  # both forms, the sessions view, the box and its labels
        assert not_plain(*windows) == []


async def test_the_sessions_list_and_main_window_show_html_device_names_literally(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """HTML device names stay text: another PC's in the table, this PC's in the main window."""
    mine = "<i>mine</i> &amp; <br>"
    async with apps() as launch:
        server = start_server("--demo", "--max-sessions", "2")
        assert (await api_login(server, device=EVIL)).status_code == 200
        app = launch("PC-1")
        app.type_into(app.c.login.device_name, mine)
        await app.connected(server.url)
        await eventually(lambda: sorted(cell_texts(app)) == sorted([mine, EVIL]), what="two rows")
        table = app.c.main.sessions.table
        # A table cell has no text format: the default delegate draws DisplayRole as plain text.
        assert type(table.itemDelegate()) is QStyledItemDelegate
        for row in range(table.rowCount()):
            for column in range(table.columnCount()):
                item = table.item(row, column)
                assert item is None or item.toolTip() == ""
        device = app.c.main.device
        assert device.textFormat() is Qt.TextFormat.PlainText
        assert device.text() == mine
        assert not_plain(app.c.main) == []


async def test_ending_and_being_ended_show_html_device_names_literally(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """The End question quotes the other PC's HTML name, the ended PC's box the ender's: as text."""
    async with apps() as launch:
        server = start_server("--demo", "--max-sessions", "3")
        evil, pc2 = launch("PC-1"), launch("PC-2")
        evil.type_into(evil.c.login.device_name, EVIL)
        await evil.connected(server.url)
        await pc2.connected(server.url)
        await eventually(lambda: sorted(cell_texts(pc2)) == sorted(["PC-2", EVIL]), what="rows")
        button = pc2.c.main.sessions.end_button(1)  # row 0 is PC-2 itself
        assert button is not None
        pc2.click(button)
        asked = await eventually(lambda: pc2.c.end_question, what="the End question")
        assert asked.box.text().startswith(f"End the session on {EVIL} (127.0.0.1), signed in ")
        assert not_plain(asked.box) == []
        pc2.click(asked.no)
        await eventually(lambda: pc2.c.end_question is None, what="the question to close")

        await eventually(lambda: sorted(cell_texts(evil)) == sorted(["PC-2", EVIL]), what="rows")
        evil.click(evil.c.main.sessions.end_others)
        ending = await eventually(lambda: evil.c.end_question, what="the End all question")
        evil.click(ending.yes)
        text = await eventually(pc2.ending_text, wait=3, what="PC-2's dialog")
        assert text.startswith(f"You were signed out from {EVIL} (127.0.0.1) at ")
        assert pc2.c.ending_box in list(labels_in(pc2.c.login))
        assert not_plain(pc2.c.login) == []


async def test_the_takeover_question_shows_an_html_device_name_literally(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """Under confirm the question quotes the other PC's HTML name in a plain-text box."""
    async with apps() as launch:
        server = start_server("--demo", "--policy", "confirm")
        assert (await api_login(server, device=EVIL)).status_code == 200
        app = launch()
        await app.sign_in(server.url)
        question = await eventually(lambda: app.c.question, what="the takeover question")
        assert question.box.textFormat() is Qt.TextFormat.PlainText
        assert question.box.text().startswith(f"This account is in use on {EVIL} since ")
        assert not_plain(question.box) == []
        app.click(question.no)
        await eventually(lambda: app.c.question is None, what="the question to close")


def _markup_risks(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        where = f"{path.relative_to(APP_DIR.parent)}:{node.lineno}"
        if isinstance(func, ast.Name) and func.id in ("QLabel", "QMessageBox"):
            yield f"{where} {func.id}(): use desktop_app.ui.plain"
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if owner == "QMessageBox" and func.attr[:1].islower():
                yield f"{where} QMessageBox.{func.attr}(): guesses rich text"
            elif func.attr in ("setToolTip", "setWhatsThis") and path not in OWN_WORDS_TOOLTIPS:
                yield f"{where} {func.attr}(): guesses rich text"
            elif func.attr in ("addRow", "insertRow") and any(
                isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in node.args
            ):
                yield f"{where} {func.attr}(str, …): QFormLayout makes an AutoText label"


def test_labels_and_message_boxes_are_only_made_by_the_plain_module() -> None:
    """Only ui/plain.py builds labels or message boxes; no module sets tool tips or form strings."""
    sources = sorted(p for p in APP_DIR.rglob("*.py") if p != PLAIN_MODULE)
    assert len(sources) > 10
    assert [risk for path in sources for risk in _markup_risks(path)] == []
