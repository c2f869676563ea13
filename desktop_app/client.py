"""The network client: sign in over HTTP, hold the session socket, reconnect. No Qt.

It drives a :class:`~desktop_app.session.SessionMachine` and nothing else; the
windows only watch that machine. Guarantees:

- A dropped socket is never an ending. Only a terminal message or close code
  (:mod:`desktop_app.wire`, which reads :mod:`shared`) or a 401 naming an
  ending stops the session; everything else reconnects after a
  :class:`~desktop_app.backoff.Backoff` delay (full jitter, 0.5 s → 30 s).
- After an ending the client holds no token and never signs in by itself:
  only :meth:`Client.sign_in`, called for a person, does.
- :meth:`Client.aclose` closes the socket with 1000, signs the session out
  (best effort, bounded time) and leaves no task behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from desktop_app import api
from desktop_app.api import ApiError, Conflict, Device, Endpoints, LoginRefused, SessionEnded
from desktop_app.backoff import Backoff
from desktop_app.session import FailureKind, LoginFailure, SessionMachine, State
from desktop_app.wire import (
    Ending,
    OwnSession,
    ProtocolError,
    ending_from_close,
    ending_from_error,
    ending_from_message,
    is_hello,
    parse_json_object,
    parse_session,
)
from shared.close_codes import CloseCode
from shared.messages import Session
from shared.policies import Policy

log = logging.getLogger(__name__)

ConfirmTakeover = Callable[[tuple[Session, ...]], Awaitable[bool]]
"""Asked under the ``confirm`` policy with the sessions in the way; True = take over."""

MAX_FRAME = 64 * 1024  # the server never sends more; anything bigger is not our server
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
    ) -> None:
        self.machine = machine
        self.device = device
        self._backoff = backoff or Backoff()
        self._open_timeout = open_timeout
        self._http = httpx.AsyncClient(timeout=http_timeout)
        self._ep: Endpoints | None = None
        self._token: str | None = None
        self._socket_task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._stop = asyncio.Event()

    @property
    def signed_in(self) -> bool:
        return self._token is not None

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
        self._ep, self._token = ep, grant.token
        self.machine.admitted(grant.session)
        self._start_socket()
        return True

    async def _login(
        self, ep: Endpoints, username: str, password: str, confirm: ConfirmTakeover
    ) -> api.Grant:
        try:
            return await api.login(self._http, ep, username, password, self.device)
        except Conflict as conflict:
            failure = LoginFailure(FailureKind.SESSION_ACTIVE, sessions=conflict.sessions)
            if conflict.policy != Policy.CONFIRM:
                raise LoginRefused(failure) from None
            if not await confirm(conflict.sessions):
                declined = LoginFailure(FailureKind.DECLINED, sessions=conflict.sessions)
                raise LoginRefused(declined) from None
        try:
            return await api.login(self._http, ep, username, password, self.device, takeover=True)
        except Conflict as conflict:  # the server's policy changed between the two calls
            again = LoginFailure(FailureKind.SESSION_ACTIVE, sessions=conflict.sessions)
            raise LoginRefused(again) from None

    async def sign_out(self) -> None:
        """The person's Sign out: socket closed with 1000, session ended on the server."""
        token, ep = self._token, self._ep
        await self._stop_socket()
        self._token = None
        if token is not None and ep is not None:
            try:
                await asyncio.wait_for(api.logout(self._http, ep, token), LOGOUT_TIMEOUT)
            except (ApiError, TimeoutError) as exc:
                # The token is gone from memory either way; the server will let the
                # session idle out. Not worth a dialog.
                log.info("sign-out request failed: %s", exc)
        if self.machine.snapshot.active:
            self.machine.signed_out()

    async def aclose(self) -> None:
        """Quit: sign out if signed in, then release the HTTP pool. Safe to call twice."""
        await self.sign_out()
        await self._http.aclose()

    # -- other calls ------------------------------------------------------------------

    async def own_sessions(self) -> list[OwnSession]:
        """This account's sessions; a 401 naming an ending ends this session too."""
        token, ep = self._token, self._ep
        if token is None or ep is None:
            raise ApiError("not signed in")
        try:
            return await api.own_sessions(self._http, ep, token)
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
        self._backoff.reset()
        self._socket_task = asyncio.get_running_loop().create_task(
            self._socket_loop(self._ep.ws_url, self._token), name="loginguard-socket"
        )

    async def _stop_socket(self) -> None:
        task, self._socket_task = self._socket_task, None
        if task is None or task.done():
            return
        self._stop.set()
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    async def _connection(self, url: str, token: str) -> Ending | None:
        """One socket's life; its ending, or None when the right move is to reconnect."""
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
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
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
                else:
                    announced = ending_from_message(message) or announced
        except ConnectionClosed:
            pass
        finally:
            self._ws = None
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
