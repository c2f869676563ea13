"""What the app remembers between runs, in QSettings: one set per ``--profile``.

Kept: this installation's ``device_id`` (a UUID made on first use), its device
name, the last server address, the remembered username (only when the person
ticked "remember"), whether they chose to stay signed in, the language, and a
sign-out that has not reached the server yet (server, username and expiry).
Never kept here: the password or a token (tokens go to the OS keychain,
:mod:`desktop_app.keychain`).

Two profiles on one machine are two PCs as far as the server can tell, which is
how one person can watch a displacement happen on one screen.
"""

from __future__ import annotations

import re
import socket
import uuid
from pathlib import Path

from PySide6.QtCore import QSettings

from desktop_app.records import PendingSignOut

ORGANIZATION = "LoginGuard"
DEFAULT_PROFILE = "default"
_PROFILE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def valid_profile(name: str) -> bool:
    return bool(_PROFILE.fullmatch(name)) and name not in (".", "..")


class Settings:
    """Typed access to one profile's settings; every setter is saved at once."""

    def __init__(self, profile: str = DEFAULT_PROFILE, directory: Path | None = None) -> None:
        if not valid_profile(profile):
            raise ValueError(f"profile names use letters, digits, '.', '_', '-': {profile!r}")
        self.profile = profile
        application = f"desktop-{profile}"
        fmt = QSettings.Format.IniFormat
        if directory is None:
            self._q = QSettings(fmt, QSettings.Scope.UserScope, ORGANIZATION, application)
        else:  # tests and portable installs
            self._q = QSettings(str(directory / ORGANIZATION / f"{application}.ini"), fmt)

    @property
    def path(self) -> str:
        return self._q.fileName()

    def _str(self, key: str) -> str | None:
        value = self._q.value(key)
        return value if isinstance(value, str) and value else None

    def _put(self, key: str, value: str | None) -> None:
        if value:
            self._q.setValue(key, value)
        else:
            self._q.remove(key)
        self._q.sync()

    @property
    def device_id(self) -> str:
        """This installation's UUID, created and saved the first time it is asked for."""
        value = self._str("device/id")
        try:
            return str(uuid.UUID(value)) if value else self._new_device_id()
        except ValueError:
            return self._new_device_id()

    def _new_device_id(self) -> str:
        value = str(uuid.uuid4())
        self._put("device/id", value)
        return value

    @property
    def device_name(self) -> str:
        """The saved name, else the host name."""
        return self._str("device/name") or socket.gethostname() or "PC"

    @device_name.setter
    def device_name(self, value: str) -> None:
        self._put("device/name", value.strip() or None)

    @property
    def server(self) -> str | None:
        return self._str("server/address")

    @server.setter
    def server(self, value: str | None) -> None:
        self._put("server/address", value)

    @property
    def username(self) -> str | None:
        """The remembered username; None when the person chose not to be remembered."""
        return self._str("login/username")

    @username.setter
    def username(self, value: str | None) -> None:
        self._put("login/username", value)

    @property
    def language(self) -> str | None:
        return self._str("ui/language")

    @language.setter
    def language(self, value: str | None) -> None:
        self._put("ui/language", value)

    @property
    def stay_signed_in(self) -> bool:
        """The person ticked "Stay signed in on this PC" the last time they signed in."""
        return self._str("login/stay_signed_in") == "yes"

    @stay_signed_in.setter
    def stay_signed_in(self, value: bool) -> None:
        self._put("login/stay_signed_in", "yes" if value else None)

    @property
    def pending_sign_out(self) -> PendingSignOut | None:
        """The sign-out not yet delivered, without its token (that is in the keychain)."""
        server, username = self._str("pending/server"), self._str("pending/username")
        if server is None or username is None:
            return None
        try:
            expires_at: float | None = float(self._str("pending/expires_at") or "")
        except ValueError:
            expires_at = None
        return PendingSignOut(server, username, None, expires_at)

    @pending_sign_out.setter
    def pending_sign_out(self, value: PendingSignOut | None) -> None:
        expires = value.expires_at if value is not None else None
        self._put("pending/server", value.server if value else None)
        self._put("pending/username", value.username if value else None)
        self._put("pending/expires_at", repr(expires) if expires is not None else None)
