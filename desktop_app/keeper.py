"""What "stay signed in" and an undelivered sign-out keep between runs, and where.

A remembered session (:class:`~desktop_app.records.Held`) lives in the OS
keychain only. A pending sign-out is split: its server, username and expiry
go to the settings file, its token to the keychain. When the keychain cannot
take the token, the token is kept in memory for this run only and the
settings record still says a sign-out was pending, so the next start can tell
the person honestly that it was lost (:meth:`Keeper.load_pending`).

The keychain is touched only for people who use these features: never for
someone who did not tick "stay signed in" and has no sign-out pending (a
locked keychain must not greet them with an unlock prompt). Every method is
safe with a missing or locked keychain (:class:`~desktop_app.keychain.Keychain`
never raises); :attr:`Keeper.unreadable` and the return values say so.
"""

from __future__ import annotations

from dataclasses import replace

from desktop_app.keychain import Keychain
from desktop_app.records import Held, PendingSignOut
from desktop_app.settings import Settings


class Keeper:
    def __init__(self, settings: Settings, keychain: Keychain) -> None:
        self.settings = settings
        self.keychain = keychain
        self.remembering = False  # a session of this run is in the keychain
        self.pending: PendingSignOut | None = None
        self.pending_kept = False  # its token is in the keychain, not only in memory
        self.unreadable = False  # the last remembered() could not read the keychain

    # -- stay signed in ----------------------------------------------------------------

    def remembered(self) -> Held | None:
        """The session to resume at start, if the person chose to stay signed in."""
        if not self.settings.stay_signed_in:
            return None
        failures = self.keychain.failures
        held = self.keychain.remembered()
        self.unreadable = self.keychain.failures > failures
        self.remembering = held is not None
        return held

    def keep(self, held: Held) -> bool:
        """Keep ``held`` for the next start; False when the keychain would not."""
        self.remembering = self.keychain.remember(held)
        return self.remembering

    def forget(self) -> None:
        """The session is over or was never to be kept: its token leaves the keychain."""
        if self.remembering or self.settings.stay_signed_in:
            self.keychain.forget()
        self.remembering = False

    # -- a sign-out that has not reached the server ------------------------------------

    def put_pending(self, pending: PendingSignOut) -> None:
        """Keep ``pending`` (it replaces an older one: one server, one PC, one session)."""
        assert pending.token is not None
        self.pending = pending
        self.pending_kept = self.keychain.keep_pending_token(pending.token)
        if not self.pending_kept:
            self.keychain.drop_pending_token()  # an older token must not pass for this one
        self.settings.pending_sign_out = pending  # without the token

    def load_pending(self) -> PendingSignOut | None:
        """Last run's pending sign-out. Its ``token`` is None when it could not be kept:
        then the record is dropped (it is reported once and cannot be sent)."""
        record = self.settings.pending_sign_out
        if record is None:
            return None
        token = self.keychain.pending_token()
        if token is None:
            self.settings.pending_sign_out = None
            return record
        self.pending, self.pending_kept = replace(record, token=token), True
        return self.pending

    def delivered(self) -> None:
        """The server has the sign-out: nothing is pending any more."""
        if self.pending_kept:
            self.keychain.drop_pending_token()
        self.pending, self.pending_kept = None, False
        self.settings.pending_sign_out = None
