"""The client's side of the ask policy against a real server, on a plain asyncio loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from desktop_app import api
from desktop_app.api import Device, TakeoverGone
from desktop_app.client import Client
from desktop_app.session import FailureKind, SessionMachine, State
from desktop_app.takeover import TakeoverClosed, TakeoverRequest
from shared.messages import Session
from tests.desktop.helpers import api_login, eventually, quick_backoff
from tests.support.server import ServerProcess


async def never(_sessions: tuple[Session, ...]) -> bool:
    raise AssertionError("no takeover question expected")


class Heard:
    """A client that records the takeover news its socket brings."""

    def __init__(self, name: str) -> None:
        self.news: list[TakeoverRequest | TakeoverClosed] = []
        self.client = Client(
            SessionMachine(),
            Device(f"dev-{name}", name),
            backoff=quick_backoff(),
            on_takeover=self.news.append,
        )

    def requests(self) -> list[TakeoverRequest]:
        return [n for n in self.news if isinstance(n, TakeoverRequest)]

    def closed(self) -> list[TakeoverClosed]:
        return [n for n in self.news if isinstance(n, TakeoverClosed)]


@pytest.fixture
async def heard() -> AsyncIterator[Callable[[str], Heard]]:
    made: list[Heard] = []

    def make(name: str) -> Heard:
        made.append(Heard(name))
        return made[-1]

    yield make
    for h in made:
        await h.client.aclose()


async def test_the_policy_route_is_read_and_a_server_without_it_gives_none(
    start_server: Callable[..., ServerProcess],
) -> None:
    """GET /api/auth/policy: ask with its timeout, or displace; an address with no such
    route (or no server) is None, never an exception."""
    ask = start_server("--demo", "--policy", "ask", "--ask-timeout", "7")
    plain = start_server("--demo")
    async with httpx.AsyncClient() as http:
        got = await api.login_policy(http, api.endpoints(ask.url), 5)
        assert got == api.LoginPolicy("ask", 7.0)
        got = await api.login_policy(http, api.endpoints(plain.url), 5)
        assert got is not None
        assert got.policy == "displace"
        assert await api.login_policy(http, api.endpoints(ask.url + "/nothing"), 5) is None


async def test_the_asked_client_hears_the_request_answers_it_and_hears_it_closed(
    start_server: Callable[..., ServerProcess], heard: Callable[[str], Heard]
) -> None:
    """PC-1 hears takeover_request naming PC-2, denies it (PC-2 gets 409 takeover_denied),
    hears takeover_closed denied; a second answer and an unknown id are TakeoverGone."""
    server = start_server("--demo", "--policy", "ask")
    pc1 = heard("PC-1")
    assert await pc1.client.sign_in(server.url, "user1", "password1", never)
    await eventually(lambda: pc1.client.machine.state is State.CONNECTED, what="connected")
    waiting = asyncio.ensure_future(api_login(server, device="PC-2"))
    await eventually(pc1.requests, what="the takeover request")
    request = pc1.requests()[0]
    assert (request.by["device_name"], request.by["ip"]) == ("PC-2", "127.0.0.1")
    assert 15 <= request.timeout <= 20
    assert await pc1.client.answer_takeover(request.id, False) == "denied"
    answer = await waiting
    assert answer.status_code == 409
    assert answer.json() == {"error": "takeover_denied", "outcome": "denied"}
    await eventually(pc1.closed, what="takeover_closed")
    assert pc1.closed() == [TakeoverClosed(request.id, "denied")]
    with pytest.raises(TakeoverGone) as again:
        await pc1.client.answer_takeover(request.id, True)
    assert again.value.outcome == "denied"
    with pytest.raises(TakeoverGone) as unknown:
        await pc1.client.answer_takeover("no-such-request", True)
    assert unknown.value.outcome is None
    assert pc1.client.machine.state is State.CONNECTED


async def test_a_waiting_sign_in_shows_the_time_left_and_its_cancel_closes_the_request(
    start_server: Callable[..., ServerProcess], heard: Callable[[str], Heard]
) -> None:
    """PC-2's sign_in waits with approval_in set (the other PC's seconds left); cancelling it
    ends the sign-in as cancelled and PC-1 hears takeover_closed cancelled."""
    server = start_server("--demo", "--policy", "ask", "--ask-timeout", "15")
    pc1, pc2 = heard("PC-1"), heard("PC-2")
    assert await pc1.client.sign_in(server.url, "user1", "password1", never)
    await eventually(lambda: pc1.client.machine.state is State.CONNECTED, what="connected")
    signing_in = asyncio.ensure_future(pc2.client.sign_in(server.url, "user1", "password1", never))
    machine = pc2.client.machine
    await eventually(lambda: machine.snapshot.approval_in is not None, what="waiting")
    approval_in = machine.snapshot.approval_in
    assert approval_in is not None
    assert 12 < approval_in < 15
    assert machine.state is State.LOGGING_IN
    request = pc1.requests()[0]
    signing_in.cancel()
    with pytest.raises(asyncio.CancelledError):
        await signing_in
    assert machine.state is State.LOGGED_OUT
    assert machine.snapshot.failure is not None
    assert machine.snapshot.failure.kind is FailureKind.CANCELLED
    await eventually(pc1.closed, what="takeover_closed")
    assert pc1.closed() == [TakeoverClosed(request.id, "cancelled")]


async def test_another_account_cannot_answer_and_a_second_asker_is_told_to_wait(
    start_server: Callable[..., ServerProcess], heard: Callable[[str], Heard]
) -> None:
    """user2's session answering user1's request is TakeoverGone (403); a third PC's sign-in
    while PC-2 asks fails as takeover_pending with a retry_after."""
    server = start_server("--demo", "--policy", "ask")
    pc1, other, pc3 = heard("PC-1"), heard("PC-9"), heard("PC-3")
    assert await pc1.client.sign_in(server.url, "user1", "password1", never)
    assert await other.client.sign_in(server.url, "user2", "password2", never)
    await eventually(lambda: pc1.client.machine.state is State.CONNECTED, what="connected")
    waiting = asyncio.ensure_future(api_login(server, device="PC-2"))
    await eventually(pc1.requests, what="the takeover request")
    with pytest.raises(TakeoverGone):
        await other.client.answer_takeover(pc1.requests()[0].id, True)
    assert not await pc3.client.sign_in(server.url, "user1", "password1", never)
    failure = pc3.client.machine.snapshot.failure
    assert failure is not None
    assert failure.kind is FailureKind.TAKEOVER_PENDING
    assert failure.retry_after is not None
    assert 0 < failure.retry_after <= 20
    assert await pc1.client.answer_takeover(pc1.requests()[0].id, True) == "allowed"
    assert (await waiting).status_code == 200
    await eventually(lambda: pc1.client.machine.state is State.DISPLACED, what="displaced")
