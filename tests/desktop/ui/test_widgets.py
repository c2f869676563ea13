"""Widgets drawn from injected session states (no server): wording and connection line."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.session import ENDED, FailureKind, LoginFailure, Snapshot, State, Transition
from desktop_app.ui.login import LoginWindow
from desktop_app.ui.main_window import OFFLINE_AFTER, MainWindow
from desktop_app.ui.wording import ending_message, failure_message, fill
from shared.messages import By, Session
from shared.reasons import EndReason

SESSION = Session(
    id="j",
    jti="j",
    device_id="d",
    device_name="PC-1",
    ip="10.0.0.1",
    created_at=1.7e9,
    expires_at=2e9,
)
BY = By(device_name="PC-2", ip="10.0.0.2", at=1.7e9)


def draw(window: MainWindow, snapshot: Snapshot) -> str:
    window.on_transition(Transition(Snapshot(), snapshot))
    return window.connection_text()[0]


def test_the_connection_line_follows_the_state(qtbot: QtBot) -> None:
    """Connecting…, Connected, Reconnecting in N s, then Offline after repeated failures."""
    window = MainWindow()
    qtbot.addWidget(window)
    base = Snapshot(State.LOGGING_IN, username="user1", session=SESSION)
    assert draw(window, base) == "Connecting…"
    assert draw(window, replace(base, state=State.CONNECTED)) == "Connected"
    assert window.heading.text() == "Signed in as user1"
    assert window.device.text() == "PC-1"
    lost = replace(base, state=State.RECONNECTING, retry_in=2.2, attempt=1)
    assert draw(window, lost) == "Reconnecting in 3 s"
    assert draw(window, replace(lost, retry_in=0.0)) == "Reconnecting…"
    offline = replace(lost, retry_in=29.5, attempt=OFFLINE_AFTER)
    assert draw(window, offline) == "Offline — retrying in 30 s"
    assert window.connection.text() == "Offline — retrying in 30 s"
    assert "#b3261e" in window.connection_dot.styleSheet()


@pytest.mark.parametrize(
    ("state", "reason", "by", "expected"),
    [
        (State.DISPLACED, EndReason.DISPLACED, BY, "your account signed in on PC-2 (10.0.0.2) at "),
        (State.DISPLACED, EndReason.DISPLACED, None, "your account signed in on another PC."),
        (State.EXPIRED, EndReason.EXPIRED, None, "your session expired"),
        (State.REVOKED, EndReason.ADMIN, None, "You were signed out by an administrator."),
        (State.REVOKED, EndReason.DISABLED, None, "your account was disabled"),
        (State.LOGGED_OUT_ELSEWHERE, EndReason.LOGGED_OUT, None, "signed out elsewhere"),
        (State.LOGGED_OUT_ELSEWHERE, EndReason.LOGGED_OUT, BY, "out from PC-2 (10.0.0.2) at "),
        (State.TOKEN_INVALID, EndReason.INVALID, None, "no longer accepts this sign-in"),
    ],
)
def test_every_ending_has_its_own_plain_words(
    qtbot: QtBot, state: State, reason: EndReason, by: By | None, expected: str
) -> None:
    """Displaced, expired, admin-revoked, disabled, signed out (from which PC): each says why."""
    text = ending_message(Snapshot(state, reason=reason, by=by))
    assert expected in text
    assert text.startswith("You were signed out")


def test_ending_messages_are_all_different(qtbot: QtBot) -> None:
    """Every ended state has a wording of its own."""
    snapshots = [
        Snapshot(State.DISPLACED, reason=EndReason.DISPLACED, by=BY),
        Snapshot(State.EXPIRED, reason=EndReason.EXPIRED),
        Snapshot(State.REVOKED, reason=EndReason.ADMIN),
        Snapshot(State.REVOKED, reason=EndReason.DISABLED),
        Snapshot(State.LOGGED_OUT_ELSEWHERE, reason=EndReason.LOGGED_OUT),
        Snapshot(State.LOGGED_OUT_ELSEWHERE, reason=EndReason.LOGGED_OUT, by=BY),
        Snapshot(State.SERVER_RESET, reason=EndReason.SERVER_RESET),
        Snapshot(State.TOKEN_INVALID, reason=EndReason.INVALID),
    ]
    assert {s.state for s in snapshots} == ENDED
    texts = {ending_message(s) for s in snapshots}
    assert len(texts) == len(snapshots)
    assert ending_message(Snapshot(State.CONNECTED)) == ""


def test_failures_say_what_to_do(qtbot: QtBot) -> None:
    """Each failure has a distinct message; the detail (raw English) is never shown."""
    messages = {
        kind: failure_message(
            LoginFailure(
                kind, retry_after=41.6, sessions=(SESSION,), status=502, detail="ConnectError: x"
            ),
            "srv",
        )
        for kind in FailureKind
    }
    assert len(set(messages.values())) == len(FailureKind)
    assert messages[FailureKind.RATE_LIMITED] == (
        "Too many failed attempts. You can try again in less than a minute."
    )
    assert messages[FailureKind.SESSION_ACTIVE].startswith("This account is in use on PC-1 since ")
    assert "srv" in messages[FailureKind.UNREACHABLE]
    assert "(HTTP 502)" in messages[FailureKind.PROTOCOL]
    assert not [m for m in messages.values() if "ConnectError" in m]


def test_fill_substitutes_once() -> None:
    """%1 … %9 are replaced in one pass, so a value containing %2 stays as it is."""
    assert fill("%1 and %2", "a%2", "b") == "a%2 and b"
    assert fill("%1 %3", "x") == "x %3"


def test_window_titles_name_the_pc(qtbot: QtBot) -> None:
    """Both windows carry the PC's name in their title, so two instances are told apart."""
    login, main = LoginWindow(), MainWindow()
    qtbot.addWidget(login)
    qtbot.addWidget(main)
    assert login.windowTitle() == "LoginGuard — Sign in"
    login.set_device_label("PC-1")
    main.set_device_label("PC-1")
    assert login.windowTitle() == "PC-1 — LoginGuard — Sign in"
    assert main.windowTitle() == "PC-1 — LoginGuard"
