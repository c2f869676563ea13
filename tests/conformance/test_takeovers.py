"""Takeover requests (policy ask) on every engine: one per account, the first decision wins,
and every change is published."""

from __future__ import annotations

import asyncio

from server.sessions.factory import Stores
from server.sessions.records import TakeoverEvent
from server.sessions.takeovers import KEEP_AFTER, TakeoverRequest
from shared.messages import By, TakeoverOutcome
from tests.conformance.helpers import START, FakeClock, Listener, listening

PENDING = TakeoverOutcome.PENDING


def request(rid: str = "r1", device: str = "pc-2", *, timeout: float = 20.0) -> TakeoverRequest:
    by = By(device_name="PC 2 <b>", ip="203.0.113.5", at=START)
    return TakeoverRequest("alice", rid, device, by, ("jti-1",), START + timeout)


async def takeover_event(listener: Listener) -> TakeoverEvent:
    while True:
        event = await listener.next()
        if isinstance(event, TakeoverEvent):
            return event


async def test_open_is_published_with_the_waiting_pc(stores: Stores) -> None:
    async with listening(stores) as listener:
        assert await stores.takeovers.open(request()) is None
        event = await takeover_event(listener)
    assert event == TakeoverEvent("alice", "r1", PENDING, ("jti-1",), request().by, timeout=20)
    found = await stores.takeovers.get("alice")
    assert found == request()


async def test_one_pending_request_per_account(stores: Stores) -> None:
    takeovers = stores.takeovers
    assert await takeovers.open(request("r1", "pc-2")) is None
    blocking = await takeovers.open(request("r2", "pc-3"))
    assert blocking is not None
    assert blocking.id == "r1"
    assert blocking.device_id == "pc-2"
    assert (await takeovers.get("alice")) == request("r1", "pc-2")
    # Another account is not blocked.
    other = TakeoverRequest("bob", "r9", "pc-3", request().by, ("jti-9",), START + 20)
    assert await takeovers.open(other) is None


async def test_the_same_pc_asking_again_supersedes_its_request(stores: Stores) -> None:
    takeovers = stores.takeovers
    async with listening(stores) as listener:
        assert await takeovers.open(request("r1")) is None
        await takeover_event(listener)
        assert await takeovers.open(request("r2")) is None
        closed, opened = await takeover_event(listener), await takeover_event(listener)
    assert (closed.id, closed.state, closed.by) == ("r1", TakeoverOutcome.SUPERSEDED, None)
    assert (opened.id, opened.state) == ("r2", PENDING)
    assert await takeovers.answer("alice", "r1", "jti-1", True) == ("not_found", None)


async def test_a_request_past_its_deadline_blocks_nobody(stores: Stores, clock: FakeClock) -> None:
    takeovers = stores.takeovers
    assert await takeovers.open(request("r1", "pc-2")) is None
    clock.advance(21)
    assert await takeovers.open(request("r2", "pc-3", timeout=41)) is None


async def test_the_first_answer_wins(stores: Stores) -> None:
    takeovers = stores.takeovers
    await takeovers.open(request())
    async with listening(stores) as listener:
        assert await takeovers.answer("alice", "r1", "jti-1", False) == (
            "answered",
            TakeoverOutcome.DENIED,
        )
        event = await takeover_event(listener)
    assert (event.state, event.targets, event.by, event.timeout) == (
        TakeoverOutcome.DENIED,
        ("jti-1",),
        None,
        0,
    )
    assert await takeovers.answer("alice", "r1", "jti-1", True) == (
        "closed",
        TakeoverOutcome.DENIED,
    )
    assert await takeovers.close("alice", "r1", TakeoverOutcome.TIMED_OUT) is (
        TakeoverOutcome.DENIED
    )
    found = await takeovers.get("alice")
    assert found is not None
    assert found.state is TakeoverOutcome.DENIED


async def test_only_an_asked_session_may_answer(stores: Stores) -> None:
    takeovers = stores.takeovers
    await takeovers.open(request())
    assert await takeovers.answer("alice", "r1", "jti-other", True) == ("not_asked", None)
    assert await takeovers.answer("alice", "nope", "jti-1", True) == ("not_found", None)
    assert await takeovers.answer("bob", "r1", "jti-1", True) == ("not_found", None)
    assert (await takeovers.get("alice")) == request()


async def test_an_answer_after_the_deadline_is_a_time_out(stores: Stores, clock: FakeClock) -> None:
    takeovers = stores.takeovers
    await takeovers.open(request())
    clock.advance(20)
    assert await takeovers.answer("alice", "r1", "jti-1", True) == (
        "closed",
        TakeoverOutcome.TIMED_OUT,
    )


async def test_close_unless_shown(stores: Stores) -> None:
    takeovers = stores.takeovers
    await takeovers.open(request())
    assert await takeovers.mark_shown("alice", "r1")
    unseen = TakeoverOutcome.UNSEEN
    assert await takeovers.close("alice", "r1", unseen, unless_shown=True) is PENDING
    assert await takeovers.close("alice", "r1", TakeoverOutcome.CANCELLED) is (
        TakeoverOutcome.CANCELLED
    )
    assert not await takeovers.mark_shown("alice", "r1")  # closed: not to be shown
    await takeovers.open(request("r2"))
    assert await takeovers.close("alice", "r2", unseen, unless_shown=True) is unseen


async def test_closed_requests_are_forgotten_after_their_keep(
    stores: Stores, clock: FakeClock
) -> None:
    takeovers = stores.takeovers
    await takeovers.open(request())
    clock.advance(20 + KEEP_AFTER - 1)
    assert await takeovers.get("alice") is not None
    clock.advance(1)
    assert await takeovers.get("alice") is None
    assert await takeovers.close("alice", "r1", TakeoverOutcome.CANCELLED) is (
        TakeoverOutcome.TIMED_OUT
    )


async def test_concurrent_answers_decide_once(stores: Stores) -> None:
    takeovers = stores.takeovers
    await takeovers.open(request())
    answers = await asyncio.gather(
        *(takeovers.answer("alice", "r1", "jti-1", i % 2 == 0) for i in range(20)),
        takeovers.close("alice", "r1", TakeoverOutcome.TIMED_OUT),
    )
    decided = [a for a in answers[:-1] if a[0] == "answered"]
    final = await takeovers.get("alice")
    assert final is not None
    if answers[-1] is TakeoverOutcome.TIMED_OUT and not decided:
        assert final.state is TakeoverOutcome.TIMED_OUT
    else:
        assert len(decided) + (final.state is TakeoverOutcome.TIMED_OUT) == 1
    assert all(a[1] is final.state for a in answers[:-1])


async def test_a_denied_pc_is_not_asked_again_at_once(stores: Stores, clock: FakeClock) -> None:
    takeovers = stores.takeovers
    await takeovers.open(request("r1", "pc-2"))
    await takeovers.answer("alice", "r1", "jti-1", False)
    assert await takeovers.open(request("r2", "pc-2")) is TakeoverOutcome.DENIED
    found = await takeovers.get("alice")
    assert found is not None
    assert (found.id, found.state) == ("r1", TakeoverOutcome.DENIED)
    # Another PC may ask; and the declined one once the denial is forgotten.
    assert await takeovers.open(request("r3", "pc-3")) is None
    await takeovers.close("alice", "r3", TakeoverOutcome.CANCELLED)
    clock.advance(20 + KEEP_AFTER)
    assert await takeovers.open(request("r4", "pc-2", timeout=20 + KEEP_AFTER + 20)) is None
