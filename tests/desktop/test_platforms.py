"""Per-OS decisions (settings folder, keychain, Qt platform, instance name), asked on Linux
with the platform faked, and ``--version`` printing them."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from desktop_app import __main__ as app_main
from desktop_app import platforms

WIN_HOME = PureWindowsPath("C:/Users/kim")
MAC_HOME = PurePosixPath("/Users/kim")
LINUX_HOME = PurePosixPath("/home/kim")
WIN_ENV = {
    "LOCALAPPDATA": r"C:\Users\kim\AppData\Local",
    "APPDATA": r"C:\Users\kim\AppData\Roaming",
}


INI = "LoginGuard/desktop-PC-1.ini"


@pytest.mark.parametrize(
    ("platform", "env", "home", "expected"),
    [
        ("win32", WIN_ENV, WIN_HOME, r"C:\Users\kim\AppData\Local\LoginGuard\desktop-PC-1.ini"),
        ("win32", {}, WIN_HOME, r"C:\Users\kim\AppData\Local\LoginGuard\desktop-PC-1.ini"),
        ("darwin", {}, MAC_HOME, f"/Users/kim/Library/Application Support/{INI}"),
        ("linux", {}, LINUX_HOME, f"/home/kim/.config/{INI}"),
        ("linux", {"XDG_CONFIG_HOME": "/srv/cfg"}, LINUX_HOME, f"/srv/cfg/{INI}"),
        ("linux", {"XDG_CONFIG_HOME": "rel"}, LINUX_HOME, f"/home/kim/.config/{INI}"),
    ],
)
def test_settings_file_per_os(
    platform: str, env: dict[str, str], home: PureWindowsPath, expected: str
) -> None:
    """Windows keeps a profile in local (never roaming) AppData, macOS in Application Support,
    Linux where QSettings always put it."""
    assert str(platforms.settings_file(platform, env, home, "PC-1")) == expected


@pytest.mark.parametrize(
    ("platform", "backend"),
    [
        ("win32", "keyring.backends.Windows.WinVaultKeyring"),
        ("darwin", "keyring.backends.macOS.Keyring"),
        ("linux", "keyring.backends.SecretService.Keyring"),
        ("freebsd14", "keyring.backends.SecretService.Keyring"),
        ("emscripten", None),
    ],
)
def test_keychain_backend_per_os(platform: str, backend: str | None) -> None:
    """Each OS has the keychain people expect: Credential Manager, Keychain, Secret Service."""
    assert platforms.keychain_backend(platform) == backend


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("win32", {}, "windows"),
        ("darwin", {}, "cocoa"),
        ("linux", {"DISPLAY": ":0"}, "xcb"),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "wayland;xcb"),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, "wayland"),
        ("linux", {}, None),
        ("linux", {"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
        ("win32", {"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
        ("linux", {"QT_QPA_PLATFORM": " ", "DISPLAY": ":1"}, "xcb"),
    ],
)
def test_qt_platform_defaults(platform: str, env: dict[str, str], expected: str | None) -> None:
    """A set QT_QPA_PLATFORM wins; else the OS's plugin, Wayland falling back to X11, or none."""
    assert platforms.qt_platform(platform, env) == expected


def test_instance_names_separate_profiles_users_and_folders() -> None:
    """Same settings file, same name; another profile or user, another; Windows and macOS
    ignore case, as their file systems do."""
    a = PurePosixPath("/home/kim/.config", INI)
    names = {
        platforms.instance_name("linux", a),
        platforms.instance_name("linux", a.with_name("desktop-PC-2.ini")),
        platforms.instance_name("linux", PurePosixPath("/home/lee/.config", INI)),
    }
    assert len(names) == 3
    assert platforms.instance_name("linux", a) == platforms.instance_name("linux", PurePosixPath(a))
    upper = PureWindowsPath(r"C:\Users\Kim\AppData\Local\LoginGuard\desktop-PC-1.ini")
    lower = PureWindowsPath(r"c:\users\kim\appdata\local\loginguard\desktop-pc-1.ini")
    assert platforms.instance_name("win32", upper) == platforms.instance_name("win32", lower)
    mac = PurePosixPath("/Users/kim/Library/Application Support/LoginGuard/desktop-PC-1.ini")
    mac_lower = PurePosixPath(str(mac).lower())
    assert platforms.instance_name("darwin", mac) == platforms.instance_name("darwin", mac_lower)
    assert platforms.instance_name("linux", mac) != platforms.instance_name("linux", mac_lower)
    assert all(len(n) < 40 for n in names)  # well inside a Unix socket path


def test_lock_file_sits_beside_the_settings() -> None:
    """The lock of a profile is its settings file with .lock for .ini."""
    ini = PureWindowsPath(r"C:\x\LoginGuard\desktop-PC-1.ini")
    assert platforms.lock_file(ini) == PureWindowsPath(r"C:\x\LoginGuard\desktop-PC-1.lock")


def test_version_text_on_windows() -> None:
    """--version names the version, the settings file and the keychain for the OS it runs on."""
    text = app_main.version_text("PC-1", "win32", WIN_ENV, WIN_HOME, "6.11.3")
    first, second, settings, keychain = text.splitlines()
    assert first == f"loginguard {app_main.__version__}"
    assert second.endswith("Qt 6.11.3, win32")
    assert settings == r"settings: C:\Users\kim\AppData\Local\LoginGuard\desktop-PC-1.ini"
    assert keychain.endswith("(expected keyring.backends.Windows.WinVaultKeyring)")


def test_version_matches_the_package_metadata() -> None:
    """pyproject.toml takes its version from desktop_app.__version__ (one place to bump)."""
    import tomllib

    from tests.support.server import ROOT

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"]["attr"] == "desktop_app.__version__"
