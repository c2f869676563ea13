"""Tokens in the OS keychain through ``keyring``: Secret Service (Linux), Windows
Credential Locker, macOS Keychain. No Qt.

Only tokens are kept here — never a password. Each entry is one JSON object
under the service ``LoginGuard`` and the name ``<profile>/<slot>``, so two
profiles (two PCs on one machine) never share one.

Guarantees: no method raises. A keychain that is missing (no Secret Service
on a bare Linux), locked, or refuses for any other reason makes the call
return ``None`` / ``False`` and sets :attr:`Keychain.trouble`; the caller
decides whether to tell the person (the app does so once per run). Not
guaranteed: speed. Calls are synchronous, and a keychain that asks to be
unlocked holds the window until the person answers it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import keyring
from keyring.backend import KeyringBackend

from desktop_app.records import Held

log = logging.getLogger(__name__)

SERVICE = "LoginGuard"
SESSION = "session"  # a remembered session: {server, username, token}
PENDING = "pending-sign-out"  # the token of a sign-out not yet delivered: {token}


class Keychain:
    """One profile's entries; ``backend`` defaults to whatever keyring chose."""

    def __init__(self, profile: str, backend: KeyringBackend | None = None) -> None:
        self.profile = profile
        self._backend = backend
        self.trouble: str | None = None  # the last failure, in the backend's words (logs only)
        self.failures = 0  # how many calls failed so far

    @property
    def backend(self) -> KeyringBackend:
        return self._backend or keyring.get_keyring()

    def _name(self, slot: str) -> str:
        return f"{self.profile}/{slot}"

    def _failed(self, what: str, exc: BaseException) -> None:
        self.trouble = f"{what}: {type(exc).__name__}: {exc}"
        self.failures += 1
        log.warning("keychain %s", self.trouble)

    # Every backend raises its own exceptions (keyring's, D-Bus's, the OS's), so
    # each call catches them all: a keychain must never take the app down.

    def read(self, slot: str) -> dict[str, Any] | None:
        """The entry, or None when there is none, it is unreadable, or the keychain failed."""
        try:
            raw = self.backend.get_password(SERVICE, self._name(slot))
        except Exception as exc:
            self._failed(f"read {slot}", exc)
            return None
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def write(self, slot: str, value: dict[str, Any]) -> bool:
        try:
            self.backend.set_password(SERVICE, self._name(slot), json.dumps(value))
        except Exception as exc:
            self._failed(f"write {slot}", exc)
            return False
        return True

    def erase(self, slot: str) -> bool:
        """Delete the entry; True when it is gone (or was never there)."""
        try:
            if self.backend.get_password(SERVICE, self._name(slot)) is None:
                return True
            self.backend.delete_password(SERVICE, self._name(slot))
        except Exception as exc:
            self._failed(f"erase {slot}", exc)
            return False
        return True

    # -- the typed entries ---------------------------------------------------------------

    def remembered(self) -> Held | None:
        value = self.read(SESSION)
        if value is None:
            return None
        server, username, token = (value.get(k) for k in ("server", "username", "token"))
        if isinstance(server, str) and isinstance(username, str) and isinstance(token, str):
            return Held(server, username, token) if server and username and token else None
        return None

    def remember(self, held: Held) -> bool:
        return self.write(
            SESSION, {"server": held.server, "username": held.username, "token": held.token}
        )

    def forget(self) -> bool:
        return self.erase(SESSION)

    def pending_token(self) -> str | None:
        value = self.read(PENDING)
        token = value.get("token") if value else None
        return token if isinstance(token, str) and token else None

    def keep_pending_token(self, token: str) -> bool:
        return self.write(PENDING, {"token": token})

    def drop_pending_token(self) -> bool:
        return self.erase(PENDING)
