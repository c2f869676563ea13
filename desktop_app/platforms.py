"""What differs between Windows, macOS and Linux for the desktop app, decided in one place.

No Qt and no I/O: every function takes the platform (a ``sys.platform`` value) and the
environment as arguments, so the Windows and macOS answers are tested on Linux too.

- Settings: one INI file per profile under a per-user folder that stays on this PC. On
  Windows that is the *local* AppData: a roaming profile would carry the device id to the
  office's other PC, and the server would then take two PCs for one device.
- Keychain: the ``keyring`` backend each OS is expected to use (the packaged app must
  carry it; ``--version`` prints the one actually chosen).
- Qt platform plugin: the ``QT_QPA_PLATFORM`` used when none is set; a Linux session with
  neither X11 nor Wayland gets none, and the app says so instead of letting Qt abort.
- Single instance: the name of a profile's local socket (a named pipe on Windows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

ORGANIZATION = "LoginGuard"  # the settings folder's name, as QSettings used it before

KEYCHAIN_BACKENDS = {
    "win32": "keyring.backends.Windows.WinVaultKeyring",  # Windows Credential Manager
    "darwin": "keyring.backends.macOS.Keyring",  # the login keychain
    "linux": "keyring.backends.SecretService.Keyring",  # GNOME Keyring, KWallet 5.97+
}

QT_PLATFORMS = {"win32": "windows", "darwin": "cocoa"}


def _family(platform: str) -> str:
    return "linux" if platform.startswith(("linux", "freebsd", "openbsd")) else platform


def settings_root(platform: str, env: Mapping[str, str], home: PurePath) -> PurePath:
    """The per-user folder that holds ``LoginGuard/desktop-<profile>.ini``.

    Linux: ``$XDG_CONFIG_HOME`` (if absolute), else ``~/.config`` - where QSettings put it
    before, so existing profiles stay. Windows: ``%LOCALAPPDATA%``. macOS:
    ``~/Library/Application Support``.
    """
    if platform == "win32":
        local = env.get("LOCALAPPDATA")
        return PureWindowsPath(local) if local else PureWindowsPath(home, "AppData", "Local")
    if platform == "darwin":
        return PurePosixPath(home, "Library", "Application Support")
    xdg = env.get("XDG_CONFIG_HOME", "")
    return PurePosixPath(xdg) if xdg.startswith("/") else PurePosixPath(home, ".config")


def settings_file(platform: str, env: Mapping[str, str], home: PurePath, profile: str) -> PurePath:
    """The INI file of one profile (see :func:`settings_root`)."""
    return settings_root(platform, env, home) / ORGANIZATION / f"desktop-{profile}.ini"


def keychain_backend(platform: str) -> str | None:
    """The ``keyring`` backend class this OS should end up with; None where there is none."""
    return KEYCHAIN_BACKENDS.get(_family(platform))


def qt_platform(platform: str, env: Mapping[str, str]) -> str | None:
    """The ``QT_QPA_PLATFORM`` to run with; None when no window can be shown.

    A value the person set always wins. Otherwise Windows and macOS have one choice each;
    on Linux a Wayland session tries Wayland and falls back to X11 (XWayland) when the
    Wayland plugin cannot load, an X11 session uses X11, and without either there is no
    display at all.
    """
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen
    if platform in QT_PLATFORMS:
        return QT_PLATFORMS[platform]
    wayland, x11 = bool(env.get("WAYLAND_DISPLAY")), bool(env.get("DISPLAY"))
    if wayland:
        return "wayland;xcb" if x11 else "wayland"
    return "xcb" if x11 else None


def instance_name(platform: str, settings: PurePath) -> str:
    """The local-socket name of the profile whose settings live in ``settings``.

    Derived from the settings file's full path, so it differs per user, per profile and per
    settings folder (tests use their own), and stays short enough for a Unix socket path.
    Paths are compared without regard to case on Windows and macOS, whose file systems
    do the same by default (``--profile PC-1`` and ``pc-1`` share one settings file there).
    """
    key = str(settings).lower() if platform in ("win32", "darwin") else str(settings)
    return "loginguard-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def lock_file(settings: PurePath) -> PurePath:
    """The lock file beside a profile's settings that its running app holds."""
    return settings.with_suffix(".lock")


def as_local(path: PurePath) -> Path:
    """``path`` as a concrete path of this machine."""
    return Path(str(path))
