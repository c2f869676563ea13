"""The session state machine: allowed paths, refused paths, observers, log lines."""

from collections.abc import Callable

import pytest

from desktop_app.session import (
    ENDED,
    ENDED_BY_REASON,
    FailureKind,
    InvalidTransition,
    LoginFailure,
    SessionMachine,
    State,
    Transition,
    log_line,
)
from shared.messages import By, Session
from shared.reasons import EndReason

SESSION = Session(
    id="j1",
    jti="j1",
    device_id="d1",
    device_name="PC-1",
    ip="10.0.0.1",
    created_at=1.0,
    expires_at=9.0,
)
BY = By(device_name="PC 2", ip="10.0.0.2", at=1_700_000_000.0)


def connected_machine() -> SessionMachine:
    m = SessionMachine()
    m.begin_login("user1", "http://s")
    m.admitted(SESSION)
    m.connected(SESSION)
    return m


def test_a_sign_in_walks_logged_out_logging_in_connected() -> None:
    """begin_login, admitted and connected lead to connected with user and session."""
    m = SessionMachine()
    seen: list[Transition] = []
    m.subscribe(seen.append)
    m.begin_login("user1", "http://s")
    m.admitted(SESSION)
    m.connected(SESSION)
    assert [t.new.state for t in seen] == [State.LOGGING_IN, State.LOGGING_IN, State.CONNECTED]
    assert m.snapshot.username == "user1"
    assert m.snapshot.session == SESSION
    assert [t.state_changed for t in seen] == [True, False, True]


def test_connection_lost_and_regained_is_not_an_ending() -> None:
    """connected ⇄ reconnecting keeps the session and records the retry delay."""
    m = connected_machine()
    m.connection_lost(1.5, 1)
    assert (m.state, m.snapshot.retry_in, m.snapshot.attempt) == (State.RECONNECTING, 1.5, 1)
    assert m.snapshot.session == SESSION
    assert not m.snapshot.ended
    m.connection_lost(2.5, 2)
    m.connected(SESSION)
    assert (m.state, m.snapshot.retry_in, m.snapshot.attempt) == (State.CONNECTED, None, 0)


@pytest.mark.parametrize(
    ("reason", "state"),
    [
        (EndReason.DISPLACED, State.DISPLACED),
        (EndReason.EXPIRED, State.EXPIRED),
        (EndReason.ADMIN, State.REVOKED),
        (EndReason.DISABLED, State.REVOKED),
        (EndReason.LOGGED_OUT, State.LOGGED_OUT_ELSEWHERE),
        (EndReason.SERVER_RESET, State.SERVER_RESET),
        (EndReason.INVALID, State.TOKEN_INVALID),
    ],
)
def test_every_end_reason_has_its_own_ended_state(reason: EndReason, state: State) -> None:
    """Each reason the server can give leads to its ended state, from connected or reconnecting."""
    for lose_first in (False, True):
        m = connected_machine()
        if lose_first:
            m.connection_lost(1.0, 1)
        m.ended(reason, BY)
        assert m.state is state
        assert m.snapshot.reason is reason
        assert m.snapshot.ended
        named = reason in (EndReason.DISPLACED, EndReason.LOGGED_OUT)
        assert m.snapshot.by == (BY if named else None)


def test_every_reason_in_shared_leads_to_an_ended_state() -> None:
    """The machine has an ended state for each EndReason of the contract, none left out."""
    assert set(ENDED_BY_REASON) == set(EndReason)
    assert set(ENDED_BY_REASON.values()) == ENDED


def test_a_server_reset_is_terminal_and_its_own_state() -> None:
    """server_reset ends the session as itself, refuses reconnecting and waits for acknowledge."""
    m = connected_machine()
    m.connection_lost(0.5, 1)
    m.ended(EndReason.SERVER_RESET)
    assert (m.state, m.snapshot.reason, m.snapshot.by) == (
        State.SERVER_RESET,
        EndReason.SERVER_RESET,
        None,
    )
    assert m.snapshot.ended
    assert not m.snapshot.active
    with pytest.raises(InvalidTransition):
        m.connection_lost(1.0, 2)
    with pytest.raises(InvalidTransition):
        m.connected(SESSION)
    assert log_line(m.snapshot) == "state=server_reset user=user1 reason=server_reset"
    m.acknowledge()
    assert m.state is State.LOGGED_OUT


def test_an_ended_session_waits_for_acknowledge_then_is_logged_out() -> None:
    """Only acknowledge (or a new sign-in by a person) leaves an ended state."""
    m = connected_machine()
    m.ended(EndReason.DISPLACED, BY)
    events: list[Callable[[], None]] = [
        lambda: m.connected(SESSION),
        lambda: m.connection_lost(1, 1),
        m.signed_out,
    ]
    for event in events:
        with pytest.raises(InvalidTransition):
            event()
    assert m.state is State.DISPLACED
    m.acknowledge()
    assert m.snapshot.state is State.LOGGED_OUT
    assert m.snapshot.by is None
    assert m.snapshot.username == "user1"


def test_a_person_may_sign_in_again_while_the_ending_is_shown() -> None:
    """begin_login is allowed from an ended state and clears the old details."""
    m = connected_machine()
    m.ended(EndReason.DISPLACED, BY)
    m.begin_login("user2", "http://s")
    assert m.state is State.LOGGING_IN
    assert (m.snapshot.by, m.snapshot.reason, m.snapshot.session) == (None, None, None)


def test_login_failure_returns_to_logged_out_with_the_reason() -> None:
    """A failed sign-in is logged_out carrying the failure, and no session."""
    m = SessionMachine()
    m.begin_login("user1", "http://s")
    m.login_failed(LoginFailure(FailureKind.INVALID_CREDENTIALS))
    assert m.state is State.LOGGED_OUT
    assert m.snapshot.failure == LoginFailure(FailureKind.INVALID_CREDENTIALS)


def test_sign_out_goes_straight_to_logged_out() -> None:
    """The person's own sign-out is no ending: logged_out without reason or details."""
    m = connected_machine()
    m.signed_out()
    assert m.state is State.LOGGED_OUT
    assert m.snapshot.reason is None


def test_refused_transitions_change_nothing_and_tell_no_one() -> None:
    """An event the state does not allow raises and leaves the snapshot as it was."""
    m = SessionMachine()
    seen: list[Transition] = []
    m.subscribe(seen.append)
    events: list[Callable[[], None]] = [
        lambda: m.connected(SESSION),
        lambda: m.ended(EndReason.DISPLACED),
        m.signed_out,
        m.acknowledge,
        lambda: m.login_failed(LoginFailure(FailureKind.UNREACHABLE)),
    ]
    for event in events:
        with pytest.raises(InvalidTransition):
            event()
    m.begin_login("u", "s")
    with pytest.raises(InvalidTransition):
        m.begin_login("u", "s")
    assert m.state is State.LOGGING_IN
    assert len(seen) == 1


def test_unsubscribe_stops_notifications() -> None:
    """The function subscribe returns stops further calls to that observer."""
    m = SessionMachine()
    seen: list[Transition] = []
    stop = m.subscribe(seen.append)
    m.begin_login("u", "s")
    stop()
    m.login_failed(LoginFailure(FailureKind.UNREACHABLE))
    assert len(seen) == 1


def test_log_line_names_the_state_and_for_a_displacement_the_device() -> None:
    """Every line has state=; a displacement line has by=<device> quoted when it has spaces."""
    m = connected_machine()
    assert log_line(m.snapshot).startswith("state=connected user=user1")
    m.connection_lost(1.25, 3)
    assert "state=reconnecting" in log_line(m.snapshot)
    assert "retry_in=1.2" in log_line(m.snapshot)
    m.ended(EndReason.DISPLACED, BY)
    line = log_line(m.snapshot)
    assert line.startswith("state=displaced ")
    assert 'by="PC 2"' in line
    assert "ip=10.0.0.2" in line
    assert "at=2023-11-14T22:13:20+00:00" in line
    assert "\n" not in line


def test_resume_picks_up_a_kept_session_as_reconnecting() -> None:
    """resume (from logged_out or an ended state) holds a token without a socket yet."""
    m = SessionMachine()
    m.resume("user1", "http://s")
    assert (m.state, m.snapshot.username, m.snapshot.server) == (
        State.RECONNECTING,
        "user1",
        "http://s",
    )
    assert m.snapshot.session is None
    assert m.snapshot.active
    m.connected(SESSION)
    assert m.state is State.CONNECTED
    with pytest.raises(InvalidTransition):
        m.resume("user1", "http://s")
    m.ended(EndReason.DISPLACED, BY)
    m.resume("user1", "http://s")
    assert (m.state, m.snapshot.by, m.snapshot.reason) == (State.RECONNECTING, None, None)


def test_awaiting_approval_stays_logging_in_and_ends_with_the_sign_in() -> None:
    """Under ask the login gains the seconds left to approve; admitted or failed clears them."""
    m = SessionMachine()
    seen: list[Transition] = []
    m.subscribe(seen.append)
    m.begin_login("user1", "http://s")
    m.awaiting_approval(18.5)
    assert (m.state, m.snapshot.approval_in) == (State.LOGGING_IN, 18.5)
    assert not seen[-1].state_changed
    m.admitted(SESSION)
    assert m.snapshot.approval_in is None
    m.connected(SESSION)
    assert m.snapshot.approval_in is None

    m = SessionMachine()
    m.begin_login("user1", "http://s")
    m.awaiting_approval(-1)
    assert m.snapshot.approval_in == 0.0
    m.login_failed(LoginFailure(FailureKind.TAKEOVER_DENIED))
    assert (m.state, m.snapshot.approval_in) == (State.LOGGED_OUT, None)


def test_awaiting_approval_outside_a_sign_in_is_refused() -> None:
    """Only a sign-in still waiting for its token can wait for approval."""
    m = SessionMachine()
    with pytest.raises(InvalidTransition):
        m.awaiting_approval(5)
    m.begin_login("user1", "http://s")
    m.admitted(SESSION)
    with pytest.raises(InvalidTransition):
        m.awaiting_approval(5)
    with pytest.raises(InvalidTransition):
        connected_machine().awaiting_approval(5)
