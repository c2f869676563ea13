"""Reading the server: endings from messages, close codes and 401 bodies; address parsing."""

import pytest

from desktop_app.api import endpoints
from desktop_app.wire import (
    Ending,
    ProtocolError,
    contested_from_message,
    ending_from_close,
    ending_from_error,
    ending_from_message,
    parse_json_object,
    parse_own_session,
    parse_session,
    sessions_from_message,
)
from shared.close_codes import CloseCode
from shared.messages import By
from shared.reasons import ENDINGS, EndReason

BY = {"device_name": "PC-2", "ip": "10.0.0.2", "at": 1700000000}


@pytest.mark.parametrize("code", [None, 1000, 1001, 1006, 1008, 1009, 1011, 1013, 3000, 4000])
def test_non_terminal_close_codes_mean_reconnect(code: int | None) -> None:
    """Every close code outside shared's terminal set, and no code at all, is no ending."""
    assert ending_from_close(code) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (CloseCode.DISPLACED, EndReason.DISPLACED),
        (CloseCode.LOGGED_OUT, EndReason.LOGGED_OUT),
        (CloseCode.REVOKED, EndReason.ADMIN),
        (CloseCode.EXPIRED, EndReason.EXPIRED),
        (CloseCode.RESET, EndReason.SERVER_RESET),
        (CloseCode.INVALID_TOKEN, EndReason.INVALID),
    ],
)
def test_terminal_close_codes_end_the_session(code: int, reason: EndReason) -> None:
    """A terminal close code without a message still ends the session with its reason."""
    assert ending_from_close(code) == Ending(reason)


@pytest.mark.parametrize("reason", list(EndReason))
def test_every_ending_message_in_shared_is_recognised(reason: EndReason) -> None:
    """The message type of each row in shared.reasons maps back to that reason."""
    message: dict[str, object] = {"type": ENDINGS[reason].message.value, "by": BY}
    if reason in (EndReason.ADMIN, EndReason.DISABLED):
        message["reason"] = reason.value
    ending = ending_from_message(message)
    assert ending is not None
    assert ending.reason is reason
    named = reason in (EndReason.DISPLACED, EndReason.LOGGED_OUT)
    assert ending.by == (By(device_name="PC-2", ip="10.0.0.2", at=1.7e9) if named else None)


def test_a_server_reset_reads_the_same_from_message_close_code_and_401() -> None:
    """``{"type": "reset"}``, close 4005 and a 401 ``session_reset`` all mean server_reset."""
    reset = Ending(EndReason.SERVER_RESET)
    assert ending_from_message({"type": "reset"}) == reset
    assert ending_from_message({"type": "reset", "by": BY}) == reset  # no "by" but displaced
    assert ending_from_close(4005) == reset
    assert ending_from_error({"error": "session_reset", "by": BY}) == reset


@pytest.mark.parametrize("message", [{"type": "hello"}, {"type": "party"}, {}, {"type": 4}])
def test_hello_and_unknown_messages_are_not_endings(message: dict[str, object]) -> None:
    """Only the ending message types of shared.messages end a session."""
    assert ending_from_message(message) is None


@pytest.mark.parametrize(
    ("message", "wait"),
    [
        ({"type": "contested", "retry_after": 300}, 300.0),
        ({"type": "contested", "retry_after": 1.5}, 1.5),
        ({"type": "contested"}, None),
        ({"type": "contested", "retry_after": "300"}, None),
        ({"type": "contested", "retry_after": True}, None),
        ({"type": "contested", "retry_after": 0}, None),
        ({"type": "contested", "retry_after": float("inf")}, None),
        ({"type": "hello", "retry_after": 300}, None),
    ],
)
def test_contested_messages_are_notices_never_endings(
    message: dict[str, object], wait: float | None
) -> None:
    """A contested message gives its wait (None when malformed) and never ends the session."""
    assert contested_from_message(message) == wait
    assert ending_from_message(message) is None


def test_displaced_without_usable_details_still_ends() -> None:
    """A displaced message with a malformed 'by' is still a displacement, without names."""
    assert ending_from_message({"type": "displaced", "by": {"ip": 3}}) == Ending(
        EndReason.DISPLACED, None
    )


def test_logged_out_names_the_pc_that_ended_it_when_the_server_says() -> None:
    """logged_out (message or 401) names the ending PC when "by" is there; plain without it."""
    pc2 = By(device_name="PC-2", ip="10.0.0.2", at=1.7e9)
    ended = Ending(EndReason.LOGGED_OUT, pc2)
    assert ending_from_message({"type": "logged_out", "by": BY}) == ended
    assert ending_from_error({"error": "session_logged_out", "by": BY}) == ended
    plain = Ending(EndReason.LOGGED_OUT)
    assert ending_from_message({"type": "logged_out"}) == plain
    assert ending_from_error({"error": "session_logged_out"}) == plain
    # A malformed "by" is dropped, never an error: the ending is what matters.
    assert ending_from_message({"type": "logged_out", "by": {"device_name": 7}}) == plain
    assert ending_from_message({"type": "logged_out", "by": "PC-2"}) == plain


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": "session_displaced", "by": BY}, EndReason.DISPLACED),
        ({"error": "session_revoked", "reason": "disabled"}, EndReason.DISABLED),
        ({"error": "session_revoked", "reason": "admin"}, EndReason.ADMIN),
        ({"error": "session_expired"}, EndReason.EXPIRED),
        ({"error": "session_logged_out"}, EndReason.LOGGED_OUT),
        ({"error": "session_reset"}, EndReason.SERVER_RESET),
        ({"error": "invalid_token"}, EndReason.INVALID),
    ],
)
def test_401_bodies_name_their_ending(body: dict[str, object], expected: EndReason) -> None:
    """The REST error codes of shared.reasons map to the same reasons as the socket."""
    ending = ending_from_error(body)
    assert ending is not None
    assert ending.reason is expected
    assert (ending.by is not None) == (expected is EndReason.DISPLACED)


@pytest.mark.parametrize("body", [{}, {"error": "rate_limited"}, {"error": "nonsense"}])
def test_other_errors_are_not_endings(body: dict[str, object]) -> None:
    """An error that is not about the session's end does not end it."""
    assert ending_from_error(body) is None


def test_parse_session_checks_types() -> None:
    """A session object with a missing or mistyped field is a protocol error."""
    good = {
        "jti": "j", "device_id": "d", "device_name": "n", "ip": "i",
        "created_at": 1, "expires_at": 2.5,
    }  # fmt: skip
    assert parse_session(good)["device_name"] == "n"
    with pytest.raises(ProtocolError):
        parse_session({**good, "created_at": "yesterday"})
    with pytest.raises(ProtocolError):
        parse_session([good])
    with pytest.raises(ProtocolError):
        parse_json_object(b"[1]")


@pytest.mark.parametrize(
    ("typed", "http", "ws"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws"),
        ("http://h:1/", "http://h:1", "ws://h:1/ws"),
        (" https://example.org ", "https://example.org", "wss://example.org/ws"),
        ("https://example.org/lg/", "https://example.org/lg", "wss://example.org/lg/ws"),
    ],
)
def test_endpoints_from_what_a_person_types(typed: str, http: str, ws: str) -> None:
    """A bare host:port means http; https means wss; a trailing slash is dropped."""
    ep = endpoints(typed)
    assert (ep.http_base, ep.ws_url) == (http, ws)


@pytest.mark.parametrize("typed", ["", "ftp://h", "http://", "http://h:port"])
def test_unusable_addresses_are_refused(typed: str) -> None:
    """Addresses without a host, with another scheme or a bad port raise ValueError."""
    with pytest.raises(ValueError, match=r"address|port"):
        endpoints(typed)


ROW = {
    "id": "s1", "jti": "j1", "device_id": "d1", "device_name": "PC-1", "ip": "10.0.0.1",
    "created_at": 1.7e9, "expires_at": 1.8e9,
}  # fmt: skip


def test_a_sessions_message_gives_the_whole_list_with_this_pc_marked() -> None:
    """Each row of a sessions message is read with its id, and only JSON true marks current."""
    other = {**ROW, "id": "s2", "jti": "j2", "device_name": "PC-2", "current": False}
    rows = sessions_from_message(
        {"type": "sessions", "sessions": [{**ROW, "current": True}, other]}
    )
    assert rows is not None
    assert [(r["id"], r["device_name"], r["current"]) for r in rows] == [
        ("s1", "PC-1", True),
        ("s2", "PC-2", False),
    ]
    assert sessions_from_message({"type": "sessions", "sessions": []}) == ()
    assert parse_own_session({**ROW, "current": "false"})["current"] is False
    assert parse_own_session({**ROW, "current": 1})["current"] is False
    assert parse_own_session(ROW)["current"] is False


@pytest.mark.parametrize(
    "message",
    [
        {"type": "hello", "sessions": [ROW]},
        {"type": "displaced", "sessions": [ROW]},
        {"type": "sessions"},
        {"type": "sessions", "sessions": {"0": ROW}},
        {"type": "sessions", "sessions": [ROW, "PC-2"]},
        {"type": "sessions", "sessions": [{**ROW, "id": 5}]},
        {"type": "sessions", "sessions": [{**ROW, "id": ""}]},
        {"type": "sessions", "sessions": [{k: v for k, v in ROW.items() if k != "id"}]},
        {"type": "sessions", "sessions": [{**ROW, "created_at": "today"}]},
    ],
)
def test_anything_but_a_well_formed_sessions_message_gives_no_list(
    message: dict[str, object],
) -> None:
    """Other types, and a list with any malformed row, give None: never half a list."""
    assert sessions_from_message(message) is None


def test_a_sessions_message_is_no_ending() -> None:
    """A sessions message neither ends the session nor counts as hello."""
    assert ending_from_message({"type": "sessions", "sessions": [ROW]}) is None
