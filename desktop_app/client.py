"""The network client: sign in over HTTP, hold the session socket, reconnect. No Qt.

It drives a :class:`~desktop_app.session.SessionMachine` and nothing else; the
windows only watch that machine. Guarantees:

- A ``contested`` message (the account's PCs keep taking it from each other) is a
  notice for ``on_contested``, never an ending: the socket stays. So are the ``ask``
  policy's ``takeover_request`` and ``takeover_closed`` (``on_takeover``); the
  person's answer goes back with :meth:`Client.answer_takeover`.
- A login that waits on the ``ask`` policy may take the server's ``ask_timeout``
  and more (:mod:`desktop_app.login_wait`); any other gives up after
  ``http_timeout``. Cancelling it closes its connection, which the server reads
  as the sign-in cancelled.
- A dropped socket is never an ending. Only a terminal message or close code
  (:mod:`desktop_app.wire`, which reads :mod:`shared`) or a 401 naming an
  ending stops the session; everything else reconnects after a
  :class:`~desktop_app.backoff.Backoff` delay (full jitter, 0.5 s → 30 s).
- While the server cannot be reached at all, the wait between attempts is cut
  short by a cheap probe (:mod:`desktop_app.reach`: within about a second of
  the server answering again), by :meth:`Client.retry_now` ("Retry now", or the
  OS reporting the network back) and by quitting.
- After an ending the client holds no token and never signs in by itself:
  only :meth:`Client.sign_in` and :meth:`Client.resume`, called for a person,
  do.
- :attr:`Client.sessions` follows the account's live sessions: fetched by
  :meth:`Client.load_sessions` (the app does so after each ``hello``), then
  replaced by every ``sessions`` message; forgotten when the session ends.
- A sign-out that cannot reach the server comes back as a
  :class:`~desktop_app.records.PendingSignOut` for :meth:`Client.deliver`.
- :meth:`Client.aclose` closes the socket with 1000, signs the session out
  (bounded time; or keeps it, for "remember me") and leaves no task behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from desktop_app import api
from desktop_app.api import ApiError, Conflict, Device, Endpoints, LoginRefused, SessionEnded
from desktop_app.backoff import Backoff
from desktop_app.login_wait import bounded
from desktop_app.own_sessions import OwnSessions
from desktop_app.reach import PROBE_TIMEOUT, Probe, Woken, pause
from desktop_app.records import Held, PendingSignOut
from desktop_app.session import FailureKind, LoginFailure, SessionMachine, State
from desktop_app.takeover import (
    TakeoverClosed,
    TakeoverRequest,
    takeover_closed_from_message,
    takeover_request_from_message,
)
from desktop_app.wire import (
    Ending,
    OwnSession,
    ProtocolError,
    contested_from_message,
    ending_from_close,
    ending_from_error,
    ending_from_message,
    is_hello,
    parse_json_object,
    parse_session,
    sessions_from_message,
)
from shared.close_codes import CloseCode
from shared.messages import Session
from shared.policies import Policy

log = logging.getLogger(__name__)

ConfirmTakeover = Callable[[tuple[Session, ...]], Awaitable[bool]]
"""Asked under the ``confirm`` policy with the sessions in the way; True = take over."""

TakeoverNews = Callable[[TakeoverRequest | TakeoverClosed], None]
"""Told of each ``takeover_request`` and ``takeover_closed`` the socket brings."""

MAX_FRAME = 64 * 1024  # the server never sends more; anything bigger is not our server
_T = TypeVar("_T")
CLOSE_TIMEOUT = 2.0
LOGOUT_TIMEOUT = 3.0


class Client:
    """One person's session against one server at a time."""

    def __init__(
        self,
        machine: SessionMachine,
        device: Device,
        *,
        backoff: Backoff | None = None,
        open_timeout: float = 5.0,
        http_timeout: float = 10.0,
        on_contested: Callable[[float], None] | None = None,
        on_takeover: TakeoverNews | None = None,
    ) -> None:
        self.machine = machine
        # Told the wait, in seconds, when the server says the account is contested.
        self._on_contested = on_contested
        self._on_takeover = on_takeover
        self.device = device
        self._backoff = backoff or Backoff()
        self._open_timeout = open_timeout
        self._http_timeout = http_timeout
        self._http = httpx.AsyncClient(timeout=http_timeout)
        self._ep: Endpoints | None = None
        self._token: str | None = None
        self._socket_task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()  # set by retry_now and by stopping
        self._unreachable = False  # the last attempt got no answer at all: probe
        self.sessions = OwnSessions()

    @property
    def signed_in(self) -> bool:
        return self._token is not None

    @property
    def held(self) -> Held | None:
        """The token and where it belongs, while signed in (for "remember me")."""
        s = self.machine.snapshot
        if self._token is None or s.server is None or s.username is None:
            return None
        return Held(s.server, s.username, self._token)

    # -- signing in and out -----------------------------------------------------------

    async def sign_in(
        self, server: str, username: str, password: str, confirm: ConfirmTakeover
    ) -> bool:
        """Sign in and open the socket; False (machine back in ``logged_out``) on failure.

        Under the ``confirm`` policy a 409 is put to ``confirm`` and retried with
        ``takeover`` only on True. The password is not kept.
        """
        self.machine.begin_login(username, server)
        try:
            ep = api.endpoints(server)
            grant = await self._login(ep, username, password, confirm)
        except ValueError as exc:
            self.machine.login_failed(LoginFailure(FailureKind.INVALID_ADDRESS, detail=str(exc)))
            return False
        except LoginRefused as exc:
            self.machine.login_failed(exc.failure)
            return False
        except asyncio.CancelledError:
            # "Cancel", or quitting. A login request already on its way may still
            # be admitted by the server; that session is never used and idles out.
            if self.machine.state is State.LOGGING_IN:
                self.machine.login_failed(LoginFailure(FailureKind.CANCELLED))
            raise
        self._ep, self._token = ep, grant.token
        self.machine.admitted(grant.session)
        self._start_socket()
        return True

    def resume(self, server: str, username: str, token: str) -> bool:
        """Pick up a session kept from an earlier run: open its socket, no password.

        The server decides: a ``hello`` means connected; an ending (the session
        expired, was displaced, …) ends it as usual. False, and nothing changed,
        when ``server`` is not a usable address.
        """
        try:
            ep = api.endpoints(server)
        except ValueError:
            return False
        self.machine.resume(username, server)
        self._ep, self._token = ep, token
        self._start_socket()
        return True

    def retry_now(self) -> None:
        """Reconnect at once and start the backoff over (no-op unless reconnecting)."""
        if self.machine.state is State.RECONNECTING:
            self._backoff.reset()
            self._wake.set()
            self.machine.connection_lost(0.0, 0)  # "Reconnecting…" while it tries

    async def _login(
        self, ep: Endpoints, username: str, password: str, confirm: ConfirmTakeover
    ) -> api.Grant:
        try:
            return await self._attempt(ep, username, password, takeover=False)
        except Conflict as conflict:
            failure = LoginFailure(FailureKind.SESSION_ACTIVE, sessions=conflict.sessions)
            if conflict.policy != Policy.CONFIRM:
                raise LoginRefused(failure) from None
            if not await confirm(conflict.sessions):
                declined = LoginFailure(FailureKind.DECLINED, sessions=conflict.sessions)
                raise LoginRefused(declined) from None
        try:
            return await self._attempt(ep, username, password, takeover=True)
        except Conflict as conflict:  # the server's policy changed between the two calls
            again = LoginFailure(FailureKind.SESSION_ACTIVE, sessions=conflict.sessions)
            raise LoginRefused(again) from None

    async def _attempt(
        self, ep: Endpoints, username: str, password: str, *, takeover: bool
    ) -> api.Grant:
        """One login request, given up when it takes too long (longer under ``ask``)."""
        # No read timeout of httpx's own: bounded() decides when the wait is over.
        waits = httpx.Timeout(self._http_timeout, read=None)
        request = api.login(
            self._http, ep, username, password, self.device, takeover=takeover, waits=waits
        )

        async def learn() -> tuple[str, float] | None:
            policy = await api.login_policy(self._http, ep, self._http_timeout)
            return None if policy is None else (policy.policy, policy.ask_timeout)

        try:
            return await bounded(request, learn, self._awaiting_approval, usual=self._http_timeout)
        except TimeoutError as exc:
            raise LoginRefused(LoginFailure(FailureKind.TIMEOUT, detail=str(exc))) from None

    def _awaiting_approval(self, seconds: float) -> None:
        if self.machine.state is State.LOGGING_IN and self.machine.snapshot.session is None:
            self.machine.awaiting_approval(seconds)

    async def sign_out(self) -> PendingSignOut | None:
        """The person's Sign out: socket closed with 1000, session ended on the server.

        The window returns to the login form either way. When the server could
        not be told (offline, or it failed), the sign-out comes back to be
        delivered later; while merely reconnecting it is not even tried here.
        """
        token, ep, s = self._token, self._ep, self.machine.snapshot
        offline = s.state is State.RECONNECTING
        await self._stop_socket()
        self._token = None
        self.sessions.forget()
        pending: PendingSignOut | None = None
        if token is not None and ep is not None:
            undelivered = PendingSignOut(
                s.server or ep.http_base,
                s.username or "",
                token,
                s.session["expires_at"] if s.session else None,
            )
            if offline or not await self._logout(ep, token):
                pending = undelivered
        if self.machine.snapshot.active:
            self.machine.signed_out()
        return pending

    async def leave(self) -> None:
        """Quit but keep the session on the server ("remember me"): socket closed, no logout."""
        await self._stop_socket()
        self._token = None
        self.sessions.forget()
        if self.machine.snapshot.active:
            self.machine.signed_out()

    async def aclose(self, *, keep_session: bool = False) -> PendingSignOut | None:
        """Quit: sign out (or leave, with ``keep_session``), then release the HTTP pool.

        Returns the sign-out that could not be delivered, if any. Safe to call twice.
        """
        pending = None
        if keep_session:
            await self.leave()
        else:
            pending = await self.sign_out()
        await self._http.aclose()
        return pending

    # -- sign-outs that did not get through ------------------------------------------

    async def _logout(self, ep: Endpoints, token: str) -> bool:
        try:
            await asyncio.wait_for(api.logout(self._http, ep, token), LOGOUT_TIMEOUT)
        except (ApiError, TimeoutError) as exc:
            log.info("sign-out did not reach the server: %s", exc)
            return False
        return True

    async def deliver(self, pending: PendingSignOut, wake: asyncio.Event) -> None:
        """Send ``pending`` until the server has it; returns only then (cancel to stop).

        Tries at once, then after backoff delays that a probe cuts short when the
        server could not be reached, and that ``wake`` ends at once.
        """
        assert pending.token is not None, "a sign-out without its token cannot be sent"
        ep = api.endpoints(pending.server)
        backoff = Backoff()
        while not await self._logout(ep, pending.token):
            probe = None if await self._answers(ep) else self._probe(ep)
            await pause(backoff.next(), wake, probe)
            wake.clear()

    def _probe(self, ep: Endpoints) -> Probe:
        return lambda: self._answers(ep)

    async def _answers(self, ep: Endpoints) -> bool:
        return await api.healthy(self._http, ep, PROBE_TIMEOUT)

    # -- the account's sessions --------------------------------------------------------
    # Each call raises what api raises; a 401 naming an ending also ends this session.

    async def own_sessions(self) -> list[OwnSession]:
        """This account's sessions, fetched now (:attr:`sessions` is not touched)."""
        return await self._authenticated(lambda ep, token: api.own_sessions(self._http, ep, token))

    async def load_sessions(self) -> bool:
        """Fetch the list into :attr:`sessions`; False when a message overtook the fetch.

        A failed fetch that a message overtook is no failure: the list is current.
        """
        ticket = self.sessions.fetching()
        try:
            rows = await self.own_sessions()
        except ApiError:
            if self.sessions.overtaken(ticket):
                return False
            raise
        return self.sessions.fetched(ticket, rows)

    async def end_session(self, session_id: str) -> None:
        """End another session of the account (:class:`~desktop_app.api.NoSuchSession`: gone)."""
        await self._authenticated(
            lambda ep, token: api.end_session(self._http, ep, token, session_id)
        )

    async def end_other_sessions(self) -> None:
        """End every session of the account but this one."""
        await self._authenticated(lambda ep, token: api.end_other_sessions(self._http, ep, token))

    async def answer_takeover(self, request_id: str, allow: bool) -> str:
        """Answer the takeover request ``request_id``; the outcome the server settled.

        Raises :class:`~desktop_app.api.TakeoverGone` when it was settled already.
        """
        return await self._authenticated(
            lambda ep, token: api.answer_takeover(self._http, ep, token, request_id, allow)
        )

    async def _authenticated(self, call: Callable[[Endpoints, str], Awaitable[_T]]) -> _T:
        token, ep = self._token, self._ep
        if token is None or ep is None:
            raise ApiError(FailureKind.PROTOCOL, "not signed in")
        try:
            return await call(ep, token)
        except SessionEnded as exc:
            if self._token == token:  # not already ended or replaced meanwhile
                await self._stop_socket()
                self._finish(exc.ending)
            raise

    # -- the socket -------------------------------------------------------------------

    def _start_socket(self) -> None:
        assert self._token is not None
        assert self._ep is not None
        self._stop.clear()
        self._wake.clear()
        self._unreachable = False
        self._backoff.reset()
        self.sessions.forget()  # a new session: no list until it is fetched
        self._socket_task = asyncio.get_running_loop().create_task(
            self._socket_loop(self._ep.ws_url, self._token), name="loginguard-socket"
        )

    async def _stop_socket(self) -> None:
        task, self._socket_task = self._socket_task, None
        if task is None or task.done():
            return
        self._stop.set()
        self._wake.set()
        ws = self._ws
        if ws is not None:
            # The loop sees the 1000 echo, notices _stop and returns on its own.
            await ws.close(CloseCode.NORMAL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT)
        if not task.done():  # connecting or waiting to retry: nothing to close politely
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def _finish(self, ending: Ending) -> None:
        self._token = None
        self.sessions.forget()
        if self.machine.snapshot.active:
            self.machine.ended(ending.reason, ending.by)

    async def _socket_loop(self, url: str, token: str) -> None:
        while not self._stop.is_set():
            ending = await self._connection(url, token)
            if self._stop.is_set():
                return
            if ending is not None:
                self._finish(ending)
                return
            delay = self._backoff.next()
            self.machine.connection_lost(delay, self._backoff.attempt)
            assert self._ep is not None
            probe = self._probe(self._ep) if self._unreachable else None
            woken = await pause(delay, self._wake, probe)
            self._wake.clear()
            if woken is not Woken.ELAPSED and not self._stop.is_set():
                log.info("reconnecting early: %s", woken.value)

    async def _connection(self, url: str, token: str) -> Ending | None:
        """One socket's life; its ending, or None when the right move is to reconnect."""
        self._unreachable = False
        try:
            ws = await connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=self._open_timeout,
                close_timeout=CLOSE_TIMEOUT,
                max_size=MAX_FRAME,
                compression=None,
            )
        except InvalidStatus as exc:
            # The protocol accepts ended tokens and says why over the socket, but a
            # proxy or an older server may answer the handshake with the 401 body.
            if exc.response.status_code == 401:
                with contextlib.suppress(ProtocolError):
                    return ending_from_error(parse_json_object(exc.response.body or b""))
            log.info("socket refused: HTTP %s", exc.response.status_code)
            return None
        except (OSError, TimeoutError) as exc:
            log.info("socket failed to open: %s", exc)
            self._unreachable = True  # no answer at all: worth probing for its return
            return None
        except (InvalidHandshake, InvalidURI) as exc:
            log.info("socket failed to open: %s", exc)
            return None
        self._ws = ws
        announced: Ending | None = None
        try:
            async for raw in ws:
                try:
                    message = parse_json_object(raw)
                except ProtocolError:
                    continue  # a future message type in a form we cannot read: ignore
                if is_hello(message):
                    self._hello(message)
                elif (rows := sessions_from_message(message)) is not None:
                    self.sessions.pushed(rows)
                elif (wait := contested_from_message(message)) is not None:
                    if self._on_contested is not None:
                        self._on_contested(wait)
                elif (news := _takeover_news(message)) is not None:
                    if self._on_takeover is not None:
                        self._on_takeover(news)
                else:
                    announced = ending_from_message(message) or announced
        except ConnectionClosed:
            pass
        finally:
            self._ws = None
        # No close frame: the network or the server died under us. Probe for its return.
        self._unreachable = ws.close_code in (None, CloseCode.ABNORMAL)
        # The message carries the details; the close code alone still suffices.
        return announced or ending_from_close(ws.close_code)

    def _hello(self, message: dict[str, object]) -> None:
        snapshot = self.machine.snapshot
        if snapshot.state not in (State.LOGGING_IN, State.RECONNECTING):
            return  # a repeated hello changes nothing
        try:
            session = parse_session(message.get("session"))
        except ProtocolError:
            if snapshot.session is None:
                return
            session = snapshot.session
        self._backoff.reset()
        self.machine.connected(session)


def _takeover_news(message: dict[str, object]) -> TakeoverRequest | TakeoverClosed | None:
    return takeover_request_from_message(message) or takeover_closed_from_message(message)
