"""Korean and English through Qt's translation system: .ts sources, .qm built on demand."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

import desktop_app.i18n as i18n
from desktop_app.i18n import Translations
from desktop_app.session import Snapshot, State
from desktop_app.ui.dialogs import EndQuestion, open_ending
from desktop_app.ui.sessions_view import SessionsView
from desktop_app.ui.wording import already_ended, when
from desktop_app.wire import OwnSession
from shared.messages import By
from shared.reasons import EndReason
from tests.desktop.helpers import api_login, eventually
from tests.desktop.proxy import Proxy
from tests.desktop.ui.conftest import Apps
from tests.support.server import ServerProcess

SOURCES = i18n.HERE


def test_every_korean_source_text_is_translated() -> None:
    """The Korean .ts has no unfinished or empty translation, and English none missing."""
    ko = i18n.ts_file("ko").read_text(encoding="utf-8")
    assert 'type="unfinished"' not in ko
    assert "<translation></translation>" not in ko
    assert ko.count("<message>") == i18n.ts_file("en").read_text(encoding="utf-8").count(
        "<message>"
    )


def test_a_missing_qm_is_compiled_into_the_cache_once_per_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a built .qm, lrelease compiles one into the cache; a changed .ts gets a new one."""
    monkeypatch.setattr(i18n, "HERE", tmp_path / "pkg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "pkg").mkdir()
    shutil.copy(SOURCES / "loginguard_ko.ts", tmp_path / "pkg")
    first = i18n.qm_file("ko")
    assert first is not None
    assert first.is_relative_to(tmp_path / "cache")
    assert first.stat().st_size > 1000
    mtime = first.stat().st_mtime_ns
    assert i18n.qm_file("ko") == first
    assert first.stat().st_mtime_ns == mtime
    source = tmp_path / "pkg" / "loginguard_ko.ts"
    source.write_text(source.read_text(encoding="utf-8").replace("로그인", "로그인!"), "utf-8")
    second = i18n.qm_file("ko")
    assert second is not None
    assert second != first


async def test_the_korean_translation_loads_and_shows_korean_text(apps: Apps) -> None:
    """Started in Korean the login window speaks Korean; the picker switches it to English."""
    async with apps() as launch:
        app = launch("PC-1", language="ko")
        login = app.c.login
        assert app.c.translations.language == "ko"
        assert login.heading.text() == "LoginGuard 로그인"
        assert login.sign_in.text() == "로그인"
        assert app.c.main.sign_out.text() == "로그아웃"

        login.language.setFocus()
        QTest.keyClick(login.language, Qt.Key.Key_Down)  # 한국어 → English
        await eventually(lambda: login.heading.text() == "Sign in to LoginGuard", what="English")
        assert login.sign_in.text() == "Sign in"
        assert app.c.settings.language == "en"


async def test_the_displaced_dialog_speaks_korean(apps: Apps, memory_server: ServerProcess) -> None:
    """In Korean the displaced dialog names the other PC in a Korean sentence."""
    async with apps() as launch:
        app = launch("PC-1", language="ko")
        await app.connected(memory_server.url)
        assert app.c.main.connection_text()[0] == "연결됨"
        assert (await api_login(memory_server, device="PC-2")).status_code == 200
        text = await eventually(app.ending_text, wait=2, what="the displaced dialog")
        assert "PC-2(127.0.0.1)에서 같은 계정으로 로그인하여 이 PC에서 로그아웃되었습니다." in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "The server was restarted or reset and no longer knows this sign-in. Sign in again.",
        ),
        (
            "ko",
            "서버가 다시 시작되었거나 초기화되어 이 로그인 정보가 더 이상 남아 있지 않습니다. "
            "다시 로그인해 주세요.",
        ),
    ],
)
def test_the_server_reset_dialog_speaks_english_and_korean(
    qtbot: QtBot, language: str, expected: str
) -> None:
    """The server_reset box says the server was restarted or reset, in either language."""
    parent = QWidget()
    qtbot.addWidget(parent)
    translations = Translations()
    try:
        assert translations.use(language)
        box = open_ending(parent, Snapshot(State.SERVER_RESET, reason=EndReason.SERVER_RESET))
        assert box.text() == expected
        assert box.windowTitle() == {"en": "Signed out", "ko": "로그아웃됨"}[language]
        box.close()
    finally:
        translations.use("en")


@pytest.mark.parametrize(("lang", "expected"), [("ko_KR.UTF-8", "ko"), ("en_US.UTF-8", "en"),
                                                ("de_DE.UTF-8", "en")])  # fmt: skip
def test_the_system_locale_picks_the_language(lang: str, expected: str) -> None:
    """A Korean system locale starts the app in Korean; any other in English."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env["LANG"] = lang
    code = "from desktop_app.i18n import system_language; print(system_language())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected


async def test_the_new_controls_and_notices_speak_korean(
    apps: Apps, memory_server: ServerProcess
) -> None:
    """Stay signed in, Cancel, Retry now, the tray and the pending sign-out notice in Korean."""
    async with apps() as launch:
        proxy = await Proxy(memory_server.port).start()
        try:
            app = launch("PC-1", language="ko", tray=True)
            login, main, tray = app.c.login, app.c.main, app.c.tray
            assert tray is not None
            assert login.stay.text() == "이 PC에서 로그인 상태 유지"
            assert login.cancel.text() == "취소"
            assert main.retry.text() == "지금 다시 시도"
            assert tray.icon.toolTip() == "LoginGuard — 로그아웃됨"
            assert [a.text() for a in tray.menu.actions() if a.text()] == [
                "LoginGuard 열기",
                "로그아웃",
                "종료",
            ]
            await app.connected(proxy.url)
            assert tray.icon.toolTip() == "LoginGuard — 연결됨"
            await proxy.cut()
            await app.until(State.RECONNECTING)
            app.click(main.sign_out)
            await app.until(State.LOGGED_OUT)
            assert login.notice.text() == (
                f"로그아웃 요청이 아직 {proxy.url} 서버에 전달되지 않았습니다. "
                "서버가 응답하는 즉시 LoginGuard가 보냅니다."
            )
            await proxy.restore()
            await eventually(
                lambda: login.notice.text() == "로그아웃 요청이 서버에 전달되었습니다.",
                what="the Korean delivered notice",
            )
        finally:
            await proxy.close()


def own(name: str, current: bool = False) -> OwnSession:
    return OwnSession(
        id=name, jti=name, device_id=name, device_name=name, ip="10.0.0.2",
        created_at=1.7e9, expires_at=1.8e9, current=current,
    )  # fmt: skip


async def test_the_sessions_view_its_questions_and_the_ended_pcs_dialog_speak_korean(
    qtbot: QtBot,
) -> None:
    """End, End all other sessions, both confirmations and "signed out from PC-1" in Korean."""
    parent = QWidget()
    qtbot.addWidget(parent)
    translations = Translations()
    try:
        assert translations.use("ko")
        view = SessionsView()
        qtbot.addWidget(view)
        view.show_sessions([own("PC-2"), own("PC-1", current=True)])
        assert view.end_others.text() == "다른 세션 모두 종료"
        mark, button = view.table.item(0, 3), view.end_button(1)
        assert mark is not None
        assert button is not None
        assert (mark.text(), button.text()) == ("이 PC", "종료")

        one = EndQuestion(parent, [own("PC-2")], others=False)
        assert one.box.text() == (
            f"{when(1.7e9)}부터 로그인되어 있는 PC-2(10.0.0.2)의 세션을 종료할까요? "
            "그 PC는 즉시 로그아웃됩니다."
        )
        assert (one.yes.text(), one.no.text()) == ("세션 종료", "취소")
        one.cancel()
        every = EndQuestion(parent, [own("PC-2"), own("PC-3")], others=True)
        assert every.box.text() == (
            "PC-2, PC-3의 세션을 종료할까요? 그 PC들은 즉시 로그아웃되고, "
            "이 PC는 로그인 상태로 남습니다."
        )
        assert every.box.windowTitle() == "다른 세션 모두 종료"
        every.cancel()
        assert already_ended("PC-2") == "PC-2의 세션은 이미 종료되었습니다."

        by = By(device_name="PC-1", ip="10.0.0.1", at=1.7e9)
        snapshot = Snapshot(State.LOGGED_OUT_ELSEWHERE, reason=EndReason.LOGGED_OUT, by=by)
        box = open_ending(parent, snapshot)
        assert box.text() == (
            f"{when(1.7e9)}에 PC-1(10.0.0.1)에서 이 PC의 세션을 종료하여 로그아웃되었습니다."
        )
        box.close()
    finally:
        translations.use("en")
