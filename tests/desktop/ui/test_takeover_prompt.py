"""The ask policy's widgets from injected requests (no server): PC-1's prompt, PC-2's wait."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_app.i18n import Translations
from desktop_app.session import FailureKind, LoginFailure
from desktop_app.takeover import TakeoverRequest
from desktop_app.ui.login import LoginWindow
from desktop_app.ui.takeover_prompt import TakeoverPrompt, answer_failed_message, gone_message
from desktop_app.ui.wording import failure_message
from shared.messages import By
from tests.desktop.ui.test_plain_text import EVIL, not_plain

PC2 = By(device_name="PC-2", ip="203.0.113.5", at=1.7e9)


def request(ident: str = "r1", timeout: float = 20, by: By = PC2) -> TakeoverRequest:
    return TakeoverRequest(ident, by, timeout)


@pytest.fixture
def prompt(qtbot: QtBot) -> TakeoverPrompt:
    widget = TakeoverPrompt()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def korean(qapp: object) -> Iterator[Translations]:
    translations = Translations()
    assert translations.use("ko")
    yield translations
    translations.use("en")


def test_the_prompt_names_the_pc_and_counts_down_without_blocking(
    prompt: TakeoverPrompt, qtbot: QtBot
) -> None:
    """Shown non-modal, naming PC-2 and its address, Deny as the default, seconds counting down."""
    prompt.ask(request(timeout=3))
    assert prompt.isVisible()
    assert not prompt.isModal()
    assert prompt.windowModality() is Qt.WindowModality.NonModal
    assert prompt.text.text() == (
        "PC-2 (203.0.113.5) wants to sign in with your account. "
        "If you allow it, this PC is signed out."
    )
    assert prompt.countdown.text() == "Answer within 3 s."
    assert (prompt.allow.text(), prompt.deny.text()) == ("Allow", "Deny")
    assert prompt.deny.isDefault()
    assert not prompt.allow.isDefault()
    qtbot.waitUntil(lambda: prompt.countdown.text() == "Answer within 2 s.", timeout=2500)
    # Its time is up: it goes by itself (the server applies its default).
    qtbot.waitUntil(lambda: not prompt.isVisible(), timeout=4000)
    assert prompt.request is None


def test_allow_and_deny_emit_the_answer_once_and_wait_for_it(
    prompt: TakeoverPrompt, qtbot: QtBot
) -> None:
    """A click emits (id, allow) and disables both buttons until the controller reports back."""
    answers: list[tuple[str, bool]] = []
    prompt.answered.connect(lambda ident, allow: answers.append((ident, allow)))
    prompt.ask(request("r1"))
    QTest.mouseClick(prompt.allow, Qt.MouseButton.LeftButton)
    QTest.mouseClick(prompt.deny, Qt.MouseButton.LeftButton)  # disabled: nothing
    assert answers == [("r1", True)]
    assert not prompt.allow.isEnabled()
    assert not prompt.deny.isEnabled()
    failure = LoginFailure(FailureKind.UNREACHABLE)
    prompt.answer_failed(lambda: answer_failed_message(failure, "http://srv"))
    assert prompt.error.isVisible()
    assert prompt.error.text() == (
        "Your answer did not reach the server. "
        "Cannot reach the server at http://srv. Check the address and your network."
    )
    assert prompt.allow.isEnabled()
    QTest.mouseClick(prompt.deny, Qt.MouseButton.LeftButton)
    assert answers == [("r1", True), ("r1", False)]
    assert not prompt.error.isVisible()  # a new attempt clears the old error


def test_a_second_request_replaces_the_first_and_only_its_own_close_closes_it(
    prompt: TakeoverPrompt,
) -> None:
    """PC-3's request replaces PC-2's; takeover_closed for PC-2's then leaves PC-3's open."""
    prompt.ask(request("r1"))
    pc3 = By(device_name="PC-3", ip="198.51.100.7", at=1.7e9)
    prompt.ask(request("r2", timeout=9, by=pc3))
    assert prompt.text.text().startswith("PC-3 (198.51.100.7) wants to sign in")
    assert prompt.countdown.text() == "Answer within 9 s."
    assert not prompt.close_request("r1")
    assert prompt.isVisible()
    assert prompt.close_request("r2")
    assert not prompt.isVisible()


def test_escape_closes_the_prompt_without_answering(prompt: TakeoverPrompt) -> None:
    """Escape (like the close button) is no answer: nothing is emitted, the prompt goes."""
    answers: list[tuple[str, bool]] = []
    prompt.answered.connect(lambda ident, allow: answers.append((ident, allow)))
    prompt.ask(request())
    QTest.keyClick(prompt, Qt.Key.Key_Escape)
    assert not prompt.isVisible()
    assert prompt.request is None
    assert answers == []


def test_an_html_device_name_is_shown_as_text(prompt: TakeoverPrompt) -> None:
    """Another PC's name with markup is quoted literally; every label is plain text."""
    prompt.ask(request(by=By(device_name=EVIL, ip="10.0.0.9", at=1.7e9)))
    assert prompt.text.text().startswith(f"{EVIL} (10.0.0.9) wants to sign in")
    assert not_plain(prompt) == []


def test_the_prompt_and_its_messages_speak_korean(
    prompt: TakeoverPrompt, korean: Translations
) -> None:
    """Title, sentence, countdown, buttons and the too-late notices in Korean."""
    prompt.ask(request(timeout=20))
    assert prompt.windowTitle() == "로그인 요청"
    assert prompt.text.text() == (
        "PC-2(203.0.113.5)에서 이 계정으로 로그인하려고 합니다. 허락하면 이 PC는 로그아웃됩니다."
    )
    assert prompt.countdown.text() == "20초 안에 응답하세요."
    assert (prompt.allow.text(), prompt.deny.text()) == ("허락", "거부")
    assert gone_message("PC-2", "timed_out") == "PC-2의 로그인 요청은 이미 시간이 초과되었습니다."
    assert gone_message("PC-2", "cancelled") == "PC-2에서 이미 로그인을 취소했습니다."


def test_too_late_answers_are_said_by_what_happened() -> None:
    """An answer after the request was settled names the PC and, where known, why."""
    assert (
        gone_message("PC-2", "timed_out") == "The sign-in request from PC-2 had already timed out."
    )
    assert gone_message("PC-2", "cancelled") == "PC-2 had already cancelled its sign-in."
    assert gone_message("PC-2", None) == (
        "The sign-in request from PC-2 had already ended before your answer arrived."
    )


def test_the_login_window_counts_down_the_wait_and_stops_when_not_busy(qtbot: QtBot) -> None:
    """While busy, show_waiting puts the countdown in the message line; not busy clears it."""
    login = LoginWindow()
    qtbot.addWidget(login)
    login.set_busy(True)
    login.show_waiting(2.2)
    assert login.message.text() == (
        "Your account is in use on another PC. Waiting for it to allow this sign-in… (3 s)"
    )
    assert not login.cancel.isHidden()
    started = time.monotonic()
    qtbot.waitUntil(lambda: "(2 s)" in login.message.text(), timeout=2500)
    assert time.monotonic() - started < 2
    login.show_waiting(0)
    assert login.message.text() == (
        "Your account is in use on another PC. Waiting for it to allow this sign-in…"
    )
    login.set_busy(False)
    assert login.message.text() == ""


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (
            LoginFailure(FailureKind.TAKEOVER_DENIED),
            "The other PC declined this sign-in. It stays signed in.",
        ),
        (
            LoginFailure(FailureKind.TAKEOVER_TIMED_OUT),
            "The other PC did not answer in time, so it stays signed in. "
            "Try again, or sign out there first.",
        ),
        (
            LoginFailure(FailureKind.TAKEOVER_SUPERSEDED),
            "A newer sign-in from this PC took this one's place.",
        ),
        (
            LoginFailure(FailureKind.TAKEOVER_PENDING, retry_after=12.2),
            "Another PC is already asking to sign in with this account. Try again in 13 s.",
        ),
        (
            LoginFailure(FailureKind.TAKEOVER_PENDING, retry_after=900),
            "Another PC is already asking to sign in with this account. "
            "Try again in about 15 minutes.",
        ),
        (
            LoginFailure(FailureKind.TAKEOVER_PENDING),
            "Another PC is already asking to sign in with this account. Try again shortly.",
        ),
    ],
)
def test_each_refusal_under_ask_has_its_sentence(
    qapp: object, failure: LoginFailure, expected: str
) -> None:
    """Denied, timed out, superseded and pending each say what happened and what to do."""
    assert failure_message(failure) == expected


def test_the_refusals_and_the_wait_speak_korean(qtbot: QtBot, korean: Translations) -> None:
    """The waiting line and the denied / pending sentences in Korean."""
    login = LoginWindow()
    qtbot.addWidget(login)
    login.set_busy(True)
    login.show_waiting(14.5)
    assert login.message.text() == (
        "계정이 다른 PC에서 사용 중입니다. "
        "그 PC에서 이 로그인을 허락하기를 기다리는 중입니다… (15초)"
    )
    assert failure_message(LoginFailure(FailureKind.TAKEOVER_DENIED)) == (
        "다른 PC에서 이 로그인을 거부했습니다. 그 PC는 로그인 상태로 남습니다."
    )
    assert failure_message(LoginFailure(FailureKind.TAKEOVER_PENDING, retry_after=5)) == (
        "다른 PC가 이미 이 계정으로 로그인 허락을 요청하고 있습니다. 5초 후에 다시 시도하세요."
    )
