"""The ask policy end to end: two real apps against a real server (memory and Redis).

PC-1 is signed in; PC-2 signs in through its login window and waits while PC-1 is
asked in a prompt that does not block. Allow, Deny, no answer, and PC-2's Cancel.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from desktop_app.session import State
from desktop_app.ui.takeover_prompt import TakeoverPrompt
from tests.desktop.helpers import api_login, eventually
from tests.desktop.proxy import Proxy
from tests.desktop.ui.conftest import App, Apps
from tests.desktop.ui.test_tray import notifications
from tests.support.server import REDIS_TEST_URL, ServerProcess

WAITING = "Your account is in use on another PC. Waiting for it to allow this sign-in…"
StartAsk = Callable[..., ServerProcess]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def ask_server(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess]
) -> StartAsk:
    """``ask_server(*flags)``: a demo server under --policy ask, on the embedded store or on
    Redis with two workers (PC-1's socket and PC-2's login may meet on different ones)."""

    def start(*flags: str) -> ServerProcess:
        store: tuple[str, ...] = ()
        if request.param == "redis":
            prefix = request.getfixturevalue("redis_prefix")
            store = ("--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", prefix)
        return start_server("--demo", "--policy", "ask", *store, *flags)

    return start


async def asked(pc1: App, wait: float = 5.0) -> TakeoverPrompt:
    """PC-1's prompt, once it is showing a request."""
    prompt = pc1.c.prompt
    await eventually(
        lambda: prompt.isVisible() and prompt.request is not None, wait, "PC-1's prompt"
    )
    return prompt


async def waiting(pc2: App) -> None:
    await eventually(lambda: pc2.c.login.message.text().startswith(WAITING), 5, "PC-2 waiting")


async def test_allow_signs_pc2_in_and_pc1_out(apps: Apps, ask_server: StartAsk) -> None:
    """PC-2 waits with a countdown and Cancel; PC-1's prompt names PC-2 and the tray tells of
    it; Allow → PC-2 connected, PC-1 at its login window with the displaced dialog."""
    server = ask_server()
    async with apps() as launch:
        pc1, pc2 = launch("PC-1", tray=True), launch("PC-2")
        shown = notifications(pc1)
        await pc1.connected(server.url)
        await pc2.sign_in(server.url)
        prompt = await asked(pc1)
        assert prompt.text.text() == (
            "PC-2 (127.0.0.1) wants to sign in with your account. "
            "If you allow it, this PC is signed out."
        )
        assert prompt.countdown.text() in ("Answer within 20 s.", "Answer within 19 s.")
        assert pc1.c.main.isVisible()
        assert pc1.c.main.isEnabled()  # not modal: the main window stays usable
        assert shown == [
            (
                "Sign-in request",
                "Another PC wants to sign in with your account. "
                "Open LoginGuard to allow or deny it.",
            )
        ]
        await waiting(pc2)
        message = pc2.c.login.message.text()
        assert message.endswith((" s)", "…"))
        assert not pc2.c.login.cancel.isHidden()
        assert pc2.state is State.LOGGING_IN

        pc1.click(prompt.allow)
        await pc2.until(State.CONNECTED, wait=5)
        await eventually(pc1.ending_text, 3, "PC-1's displaced dialog")
        assert "signed in on PC-2 (127.0.0.1)" in pc1.ending_text()
        assert not prompt.isVisible()
        assert pc2.c.main.isVisible()
        assert pc2.c.login.message.text() == ""


async def test_deny_keeps_pc1_and_tells_pc2_plainly(apps: Apps, ask_server: StartAsk) -> None:
    """Deny → PC-2 back at its form with "The other PC declined…" (password kept), PC-1 stays
    connected and its prompt is gone."""
    server = ask_server()
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        await pc2.sign_in(server.url)
        prompt = await asked(pc1)
        await waiting(pc2)
        pc1.click(prompt.deny)
        await pc2.until(State.LOGGED_OUT)
        assert pc2.c.login.message.text() == (
            "The other PC declined this sign-in. It stays signed in."
        )
        assert pc2.c.login.password.text() == "password1"  # kept: only a wrong one is cleared
        assert pc2.c.login.sign_in.isEnabled()
        await eventually(lambda: not prompt.isVisible(), 2, "the prompt to go")
        await asyncio.sleep(0.5)
        assert pc1.state is State.CONNECTED
        assert pc1.open_boxes() == []


async def test_no_answer_with_deny_default_says_the_other_pc_did_not_answer(
    apps: Apps, ask_server: StartAsk
) -> None:
    """--ask-default deny, nobody answers: PC-1's prompt goes by itself after its countdown,
    PC-2 reads that the other PC did not answer in time; PC-1 stays signed in."""
    server = ask_server("--ask-timeout", "2", "--ask-default", "deny")
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        await pc2.sign_in(server.url)
        prompt = await asked(pc1)
        await eventually(lambda: not prompt.isVisible(), 6, "the prompt to go by itself")
        await pc2.until(State.LOGGED_OUT, wait=8)
        assert pc2.c.login.message.text() == (
            "The other PC did not answer in time, so it stays signed in. "
            "Try again, or sign out there first."
        )
        assert pc1.state is State.CONNECTED


@pytest.mark.slow
async def test_a_wait_longer_than_the_usual_10_s_is_waited_out(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """--ask-timeout 12 (default allow), nobody answers: PC-2's login outlasts the usual 10 s
    limit and is admitted when the time is up; PC-1 is displaced."""
    server = start_server("--demo", "--policy", "ask", "--ask-timeout", "12")
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        started = time.monotonic()
        await pc2.sign_in(server.url)
        await asked(pc1)
        await waiting(pc2)
        await pc2.until(State.CONNECTED, wait=25)
        assert time.monotonic() - started > 11
        await eventually(pc1.ending_text, 3, "PC-1's displaced dialog")


async def test_cancel_while_waiting_closes_pc1s_prompt(apps: Apps, ask_server: StartAsk) -> None:
    """PC-2's Cancel ends its login ("Sign-in cancelled.") and PC-1's prompt goes; an answer
    PC-1 sends after that is told, in words, that PC-2 had cancelled."""
    server = ask_server()
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        await pc2.sign_in(server.url)
        prompt = await asked(pc1)
        assert prompt.request is not None
        ident = prompt.request.id
        await waiting(pc2)
        pc2.click(pc2.c.login.cancel)
        await pc2.until(State.LOGGED_OUT)
        assert pc2.c.login.message.text() == "Sign-in cancelled."
        await eventually(lambda: not prompt.isVisible(), 3, "PC-1's prompt to go")
        assert pc1.state is State.CONNECTED

        pc1.c.answer_takeover(ident, True)  # too late: as if the click had crossed the news
        await eventually(pc1.c.main.notice.text, 3, "PC-1's notice")
        assert pc1.c.main.notice.text() == "PC-2 had already cancelled its sign-in."
        assert pc1.state is State.CONNECTED


async def test_a_third_pc_is_told_another_is_already_asking(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """While PC-2 waits, PC-3's sign-in is refused at once: another PC is already asking."""
    server = start_server("--demo", "--policy", "ask")
    async with apps() as launch:
        pc1, pc2, pc3 = launch("PC-1"), launch("PC-2"), launch("PC-3")
        await pc1.connected(server.url)
        await pc2.sign_in(server.url)
        await asked(pc1)
        await waiting(pc2)
        await pc3.sign_in(server.url)
        await eventually(pc3.c.login.message.text, 5, "PC-3's refusal")
        assert pc3.state is State.LOGGED_OUT
        text = pc3.c.login.message.text()
        assert text.startswith("Another PC is already asking to sign in with this account. ")
        assert text.endswith((" s.", "shortly."))
        assert pc2.state is State.LOGGING_IN
        pc2.click(pc2.c.login.cancel)
        await pc2.until(State.LOGGED_OUT)


async def test_the_prompt_goes_when_pc1s_session_ends(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """PC-1 signs out while asked: the prompt goes with the session, and PC-2 gets in."""
    server = start_server("--demo", "--policy", "ask")
    async with apps() as launch:
        pc1, pc2 = launch("PC-1"), launch("PC-2")
        await pc1.connected(server.url)
        await pc2.sign_in(server.url)
        prompt = await asked(pc1)
        pc1.click(pc1.c.main.sign_out)
        await pc1.until(State.LOGGED_OUT)
        assert not prompt.isVisible()
        assert pc1.open_boxes() == []
        # Nobody left to ask: the waiting login is admitted (outcome gone).
        await pc2.until(State.CONNECTED, wait=8)


async def test_with_no_live_socket_the_login_is_admitted_without_an_answer(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """A session without a socket (signed in through the API) has nobody to ask: PC-2 gets
    in after the server's few seconds for a socket to show the request (3 s), not 20 s."""
    server = start_server("--demo", "--policy", "ask")
    assert (await api_login(server, device="PC-1")).status_code == 200
    async with apps() as launch:
        pc2 = launch("PC-2")
        started = time.monotonic()
        await pc2.sign_in(server.url)
        await pc2.until(State.CONNECTED, wait=10)
        assert time.monotonic() - started < 8
        assert pc2.states.states == [State.LOGGED_OUT, State.LOGGING_IN, State.CONNECTED]


async def test_a_pc_hidden_in_the_tray_is_asked_too(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """PC-1's window closed to the tray (stay signed in): the prompt still shows, by itself,
    with the tray's notification, and Deny works from it."""
    server = start_server("--demo", "--policy", "ask")
    async with apps() as launch:
        pc1, pc2 = launch("PC-1", tray=True), launch("PC-2")
        shown = notifications(pc1)
        pc1.click(pc1.c.login.stay)
        await pc1.connected(server.url)
        pc1.c.main.close()
        await eventually(lambda: not pc1.c.main.isVisible(), 2, "PC-1 in the tray")
        await pc2.sign_in(server.url)
        prompt = await asked(pc1)
        assert not pc1.c.main.isVisible()
        assert [title for title, _ in shown][-1] == "Sign-in request"
        pc1.click(prompt.deny)
        await eventually(lambda: pc2.c.login.message.text().startswith("The other PC declined"),
                         5, "PC-2's refusal")  # fmt: skip
        assert not prompt.isVisible()
        assert pc1.state is State.CONNECTED


async def test_an_answer_that_cannot_reach_the_server_is_said_and_can_be_sent_again(
    apps: Apps, start_server: Callable[..., ServerProcess]
) -> None:
    """PC-1's network drops while it is asked: Allow says in the prompt that the answer did
    not reach the server and the buttons work again; back online, Allow goes through."""
    server = start_server("--demo", "--policy", "ask")
    proxy = await Proxy(server.port).start()
    try:
        async with apps() as launch:
            pc1, pc2 = launch("PC-1"), launch("PC-2")
            await pc1.connected(proxy.url)
            await pc2.sign_in(server.url)
            prompt = await asked(pc1)
            await proxy.cut()
            await pc1.until(State.RECONNECTING)
            pc1.click(prompt.allow)
            await eventually(prompt.error.isVisible, 5, "the prompt's error line")
            assert prompt.error.text() == (
                "Your answer did not reach the server. "
                f"Cannot reach the server at {proxy.url}. Check the address and your network."
            )
            assert prompt.isVisible()
            assert prompt.allow.isEnabled()
            await proxy.restore()
            pc1.click(prompt.allow)
            await pc2.until(State.CONNECTED, wait=5)
            await eventually(pc1.ending_text, 5, "PC-1's displaced dialog")
            assert not prompt.isVisible()
    finally:
        await proxy.close()
