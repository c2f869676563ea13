"""What the app keeps about a session beyond the moment: pure data, no I/O.

:class:`Held` is a session "remember me" keeps, so the next start resumes it
without a password. :class:`PendingSignOut` is a sign-out that has not
reached the server yet: signing out while offline must not leave the session
alive there without the person knowing, so the app keeps it and sends it as
soon as the server answers (:meth:`desktop_app.client.Client.deliver`), in
this run or, when it could be kept, the next one.

Where they are kept: :mod:`desktop_app.keychain` (the OS keychain) holds every
token; the settings file holds only the pending sign-out's server, username
and expiry. Without a usable keychain a token stays in memory only: a
remembered session is then not resumed, and a sign-out still pending when the
app quits cannot be sent later — the session stays alive on the server until
it idles out or expires, and the next start says so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Held:
    """A session as "remember me" keeps it: where, whose, and its token."""

    server: str
    username: str
    token: str


@dataclass(frozen=True, slots=True)
class PendingSignOut:
    server: str
    username: str
    token: str | None  # None: the token was lost (no keychain last run); cannot be sent
    expires_at: float | None = None  # when the server ends the session by itself
