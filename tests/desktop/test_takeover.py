"""The ask policy on the asked PC's side: reading its two messages, and the one request asked."""

from __future__ import annotations

import math

import pytest

from desktop_app.takeover import (
    Asked,
    TakeoverClosed,
    TakeoverRequest,
    takeover_closed_from_message,
    takeover_request_from_message,
)
from shared.messages import By

BY = {"device_name": "PC-2", "ip": "203.0.113.5", "at": 1_700_000_000}


def request(ident: str = "r1", timeout: float = 20.0) -> TakeoverRequest:
    return TakeoverRequest(ident, By(device_name="PC-2", ip="203.0.113.5", at=1.7e9), timeout)


def test_a_takeover_request_message_names_the_pc_its_address_and_the_time_to_answer() -> None:
    """A well-formed takeover_request becomes its id, who asks and the seconds to answer."""
    got = takeover_request_from_message(
        {"type": "takeover_request", "id": "r1", "by": BY, "timeout": 20}
    )
    assert got == TakeoverRequest("r1", By(device_name="PC-2", ip="203.0.113.5", at=1.7e9), 20.0)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "takeover_request", "by": BY, "timeout": 20},  # no id
        {"type": "takeover_request", "id": "", "by": BY, "timeout": 20},
        {"type": "takeover_request", "id": 7, "by": BY, "timeout": 20},
        {"type": "takeover_request", "id": "r1", "timeout": 20},  # no by
        {"type": "takeover_request", "id": "r1", "by": {"device_name": "x"}, "timeout": 20},
        {"type": "takeover_request", "id": "r1", "by": BY},  # no timeout
        {"type": "takeover_request", "id": "r1", "by": BY, "timeout": True},
        {"type": "takeover_request", "id": "r1", "by": BY, "timeout": 0},
        {"type": "takeover_request", "id": "r1", "by": BY, "timeout": -5},
        {"type": "takeover_request", "id": "r1", "by": BY, "timeout": math.inf},
        {"type": "takeover_request", "id": "r1", "by": BY, "timeout": math.nan},
        {"type": "takeover_request", "id": "r1", "by": BY, "timeout": 86_400},
        {"type": "takeover_closed", "id": "r1", "outcome": "denied"},
        {"type": "hello"},
    ],
)
def test_anything_else_is_no_takeover_request(message: dict[str, object]) -> None:
    """Without an id, a readable by, or a timeout in (0, 1 h], it is no request to show."""
    assert takeover_request_from_message(message) is None


def test_takeover_closed_names_the_request_and_its_outcome() -> None:
    """takeover_closed gives the request id and the outcome word; a missing outcome is ''."""
    message = {"type": "takeover_closed", "id": "r1", "outcome": "cancelled"}
    assert takeover_closed_from_message(message) == TakeoverClosed("r1", "cancelled")
    assert takeover_closed_from_message({"type": "takeover_closed", "id": "r1"}) == (
        TakeoverClosed("r1", "")
    )
    assert takeover_closed_from_message({"type": "takeover_closed", "outcome": "gone"}) is None
    assert takeover_closed_from_message({"type": "takeover_request", "id": "r1"}) is None


def test_the_countdown_rounds_up_and_ends_the_request_at_its_deadline() -> None:
    """20 s asked at t=100: 20 left at once, 1 left at 119.2, over at 120."""
    asked = Asked()
    asked.ask(request(), now=100.0)
    assert asked.seconds_left(100.0) == 20
    assert asked.seconds_left(119.2) == 1
    assert not asked.expire(119.9)
    assert asked.request is not None
    assert asked.expire(120.0)
    assert asked.request is None
    assert asked.seconds_left(120.0) == 0
    assert not asked.expire(121.0)


def test_a_newer_request_replaces_the_older_and_only_its_own_close_removes_it() -> None:
    """r2 replaces r1 with its own countdown; closing r1 then changes nothing, r2's ends it."""
    asked = Asked()
    asked.ask(request("r1", 20), now=0.0)
    asked.ask(request("r2", 5), now=10.0)
    assert asked.request is not None
    assert asked.request.id == "r2"
    assert asked.seconds_left(10.0) == 5
    assert not asked.close("r1")
    assert asked.request is not None
    assert asked.close("r2")
    assert asked.request is None
    assert not asked.close("r2")


def test_clear_forgets_the_request() -> None:
    """After clear (answered, or the session ended) nothing is asked and nothing expires."""
    asked = Asked()
    asked.ask(request(), now=0.0)
    asked.clear()
    assert asked.request is None
    assert asked.seconds_left(1.0) == 0
