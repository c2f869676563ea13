"""This account's live sessions as this PC last heard of them: plain Python, no I/O.

Two sources fill the list: a fetch (``GET /api/sessions``, made once after
each ``hello``, and after this PC ended a session) and the socket's
``sessions`` messages, each the whole list as it is now. They travel on
different connections, so a fetch answered before a change can arrive after
that change's message. Rule: **a message received while a fetch is in flight
wins over it** — the fetch's answer is dropped. That is safe because every
later change brings a message of its own, so nothing newer than the message
is lost.

Guarantees: observers are called after every change of the list (also when
it is forgotten) and never for a dropped fetch. Not guaranteed: that the list
is current while the socket is down; it is what was heard last, until the
next ``hello`` brings a fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from desktop_app.wire import OwnSession

Rows = tuple[OwnSession, ...]
Observer = Callable[[Rows | None], None]


class OwnSessions:
    """The list (``None`` until one arrives) and who wants to hear of it."""

    def __init__(self) -> None:
        self._rows: Rows | None = None
        self._heard = 0  # lists received from the socket, and forgettings: a fetch's ticket
        self._observers: list[Observer] = []

    @property
    def rows(self) -> Rows | None:
        return self._rows

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` with the rows after every change; return a function that stops it."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def fetching(self) -> int:
        """A fetch is starting: its ticket, to hand back with the answer to :meth:`fetched`."""
        return self._heard

    def overtaken(self, ticket: int) -> bool:
        """Whether a message (or forgetting) came after the fetch with ``ticket`` started."""
        return ticket != self._heard

    def fetched(self, ticket: int, rows: Iterable[OwnSession]) -> bool:
        """A fetch answered; False (and nothing changed) when a message arrived meanwhile."""
        if self.overtaken(ticket):
            return False
        self._set(tuple(rows))
        return True

    def pushed(self, rows: Iterable[OwnSession]) -> None:
        """The socket brought the whole list: it replaces whatever is shown."""
        self._heard += 1
        self._set(tuple(rows))

    def forget(self) -> None:
        """Signed out or ended: no list, and no fetch still on its way may bring one back."""
        self._heard += 1
        if self._rows is not None:
            self._set(None)

    def _set(self, rows: Rows | None) -> None:
        self._rows = rows
        for observer in list(self._observers):
            observer(rows)
