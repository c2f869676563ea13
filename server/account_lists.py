"""Keep every socket of an account told of the account's live sessions.

A ``sessions`` message carries the whole list (each row marked ``current`` for
the socket it goes to) whenever it changes: a login that leaves other sessions
live, any ending, and - since an idle expiry announces nothing - whatever the
re-check round finds for accounts whose last list named more than one session.

Cost where it matters: the worker keeps one index entry per socket (user →
JTIs); an event about a user with no socket here costs one dict lookup, and
one with sockets here costs one store call (``sessions_of``) however many of
the account's sockets it serves, with bursts folded into one. An account with a
single session (the product's usual case) never gets a list pushed: its own
socket's ``hello`` says it all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sanic import Websocket

from server.idle_socket import stuck
from server.sessions.base import SessionStore
from server.sessions.records import SessionRecord, StoreUnavailable
from shared.messages import MessageType

log = logging.getLogger("loginguard.hub")

_FOLD = 0.05  # seconds: events about one account within this are answered with one list


class AccountLists:
    def __init__(
        self,
        store: SessionStore,
        socket_of: Callable[[str], Websocket | None],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._store = store
        self._socket_of = socket_of
        self._spawn = spawn
        self._by_user: dict[str, list[str]] = {}  # user → JTIs with a socket here
        self._pending: set[str] = set()  # users whose list is being fetched or sent
        self._again: set[str] = set()  # ... and changed again meanwhile
        self._sent: dict[str, tuple[str, ...]] = {}  # user → JTIs of the last list, if > 1

    def add(self, user: str, jti: str) -> bool:
        """Note a socket of ``user``; whether it is the account's first here."""
        first = user not in self._by_user
        held = self._by_user.setdefault(user, [])
        if jti not in held:
            held.append(jti)
        return first

    def remove(self, user: str, jti: str) -> bool:
        """Forget a socket of ``user``; whether it was the account's last here."""
        held = self._by_user.get(user)
        if held is not None and jti in held:
            held.remove(jti)
            if not held:
                del self._by_user[user]
                self._sent.pop(user, None)
                return True
        return False

    def jtis_of(self, user: str) -> list[str]:
        """The JTIs of ``user``'s sockets here."""
        return list(self._by_user.get(user, ()))

    def changed(self, user: str, *, gone: str | None = None) -> None:
        """The sessions of ``user`` changed (``gone`` ended): tell its sockets here.

        One telling per account at a time: a change heard while one is on its way
        makes it fetch and tell once more, so the newest list is always sent last.
        """
        held = self._by_user.get(user)
        if not held or held == [gone]:
            return
        if user in self._pending:
            self._again.add(user)
            return
        self._pending.add(user)
        self._spawn(self._tell(user))

    def send(self, user: str, message: dict[str, object]) -> None:
        """Send ``message`` to every socket of ``user`` here, as it is; none stays waiting."""
        sockets = [ws for jti in self._by_user.get(user, ()) if (ws := self._socket_of(jti))]
        if sockets:
            self._spawn(_send_each(sockets, json.dumps(message)))

    def listed_many(self, user: str) -> bool:
        """Whether the last list sent to ``user``'s sockets named several sessions."""
        return user in self._sent

    async def _tell(self, user: str) -> None:
        try:
            while True:
                await asyncio.sleep(_FOLD)
                self._again.discard(user)
                try:
                    sessions = await self._store.sessions_of(user)
                except StoreUnavailable:
                    return  # the next re-check round asks again
                await self._send(user, sessions)
                if user not in self._again:
                    return
        finally:
            self._pending.discard(user)
            self._again.discard(user)

    async def _send(self, user: str, sessions: list[SessionRecord]) -> None:
        if user not in self._by_user:
            self._sent.pop(user, None)
            return  # its sockets closed meanwhile: nothing to tell, nothing to remember
        jtis = tuple(s.jti for s in sessions)
        if len(jtis) > 1:
            if self._sent.get(user) == jtis:
                return  # what the sockets were told last is still true
            self._sent[user] = jtis
        else:
            self._sent.pop(user, None)
        rows = [(s.jti, s.public(own=False), s.public()) for s in sessions]
        for jti in self._by_user.get(user, ()):
            ws = self._socket_of(jti)
            if ws is None or jti not in jtis or stuck(ws):
                continue  # ended (it hears its ending), or not reading (the heartbeat cuts it)
            listing = [
                {**(mine if of == jti else theirs), "current": of == jti}
                for of, theirs, mine in rows
            ]
            message = {"type": MessageType.SESSIONS.value, "sessions": listing}
            with contextlib.suppress(Exception):  # closing sockets refuse; nothing to tell
                await ws.send(json.dumps(message))


async def _send_each(sockets: list[Websocket], text: str) -> None:
    for ws in sockets:
        with contextlib.suppress(Exception):  # closing sockets refuse; nothing to tell
            await ws.send(text)
