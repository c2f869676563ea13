"""The list of the account's sessions: a message wins over a fetch it overtook."""

from __future__ import annotations

from desktop_app.own_sessions import OwnSessions, Rows
from desktop_app.wire import OwnSession


def row(name: str, current: bool = False) -> OwnSession:
    return OwnSession(
        id=name, jti=name, device_id=name, device_name=name, ip="10.0.0.1",
        created_at=1.7e9, expires_at=1.8e9, current=current,
    )  # fmt: skip


def watched() -> tuple[OwnSessions, list[Rows | None]]:
    sessions = OwnSessions()
    seen: list[Rows | None] = []
    sessions.subscribe(seen.append)
    return sessions, seen


def test_a_fetch_fills_the_list_and_a_message_replaces_it() -> None:
    """Unknown at first; a fetch's answer is shown, then each message's whole list."""
    sessions, seen = watched()
    assert sessions.rows is None
    assert sessions.fetched(sessions.fetching(), [row("PC-1", True)])
    sessions.pushed([row("PC-1", True), row("PC-2")])
    assert sessions.rows is not None
    assert [r["device_name"] for r in sessions.rows] == ["PC-1", "PC-2"]
    assert len(seen) == 2


def test_a_message_during_a_fetch_wins_over_its_answer() -> None:
    """A fetch started before a message arrived is dropped: its answer may be older."""
    sessions, seen = watched()
    ticket = sessions.fetching()
    sessions.pushed([row("PC-1", True), row("PC-3")])
    assert sessions.overtaken(ticket)
    assert not sessions.fetched(ticket, [row("PC-1", True), row("PC-2")])
    assert sessions.rows is not None
    assert [r["device_name"] for r in sessions.rows] == ["PC-1", "PC-3"]
    assert len(seen) == 1  # no call for the dropped answer
    later = sessions.fetching()
    assert not sessions.overtaken(later)
    assert sessions.fetched(later, [row("PC-1", True)])


def test_forgetting_drops_the_list_and_any_fetch_on_its_way() -> None:
    """Signed out or ended: the list goes, once, and a late answer does not bring it back."""
    sessions, seen = watched()
    sessions.pushed([row("PC-1", True)])
    ticket = sessions.fetching()
    sessions.forget()
    sessions.forget()
    assert sessions.rows is None
    assert not sessions.fetched(ticket, [row("PC-1", True)])
    assert seen == [(row("PC-1", True),), None]
