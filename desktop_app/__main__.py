"""``python -m desktop_app`` / ``loginguard``: the desktop app.

Automation (tests, demos, kiosks): ``--server URL --username U`` with the password in
the environment variable ``LOGINGUARD_PASSWORD`` signs in once at start-up.
Every state change is written to stderr (and to ``--log-file``) as one line with
``state=<name>`` (a displacement line also has ``by=<device name>``). SIGINT and
SIGTERM quit cleanly, exactly like closing the window.

One profile runs once: a second start of the same profile brings the first one's
window to the front and exits 0 (:mod:`desktop_app.single_instance`).

Exit status:

- 0: quit normally (window closed, SIGINT/SIGTERM), or a second start that brought
  the profile's running window forward; also ``--help`` and ``--version``.
- 2: a bad command line, or no display to show a window on (Linux without X11 or Wayland
  and no ``QT_QPA_PLATFORM``).
- 3 (:data:`EXIT_ENDED`): with ``--exit-on-end``, the session ended - displaced, expired,
  revoked, signed out elsewhere, server reset or token refused - and the app had shown
  why (the dialog opened, the ``state=`` line written) before quitting.
- 4 (:data:`EXIT_BUSY`): the profile is held by another start that did not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import platform as host
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath

from desktop_app import __version__, platforms

PASSWORD_ENV = "LOGINGUARD_PASSWORD"  # noqa: S105 - the variable's name, not a password
EXIT_ENDED = 3
EXIT_BUSY = 4
_LOGGERS = ("loginguard.state", "loginguard.instance")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="loginguard",
        description="LoginGuard: one account, one PC at a time.",
        epilog="Exit status: 0 quit, 2 bad usage or no display, "
        f"{EXIT_ENDED} session ended (--exit-on-end), "
        f"{EXIT_BUSY} profile held by a start that does not answer.",
    )
    parser.add_argument("--server", help="server address, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--profile",
        default="default",
        help="keep a separate settings set (device id, name, …): two profiles act as two PCs",
    )
    parser.add_argument("--device-name", help="this PC's name for this run (not saved)")
    parser.add_argument(
        "--username", help=f"username; with ${PASSWORD_ENV} set, sign in once at start-up"
    )
    parser.add_argument("--language", choices=["ko", "en"], help="override the system language")
    parser.add_argument(
        "--exit-on-end",
        action="store_true",
        help=f"quit with status {EXIT_ENDED} once an ending (displaced, expired, revoked, …) "
        "has been shown; for kiosks and scripts",
    )
    parser.add_argument(
        "--log-file", type=Path, help="also append the state lines to this file (UTF-8)"
    )
    parser.add_argument(
        "--version", action="store_true", help="print the version, settings file and keychain"
    )
    return parser.parse_args(argv)


def version_text(
    profile: str, platform: str, env: Mapping[str, str], home: PurePath, qt: str
) -> str:
    """What ``--version`` prints: the version, then the facts support asks for first."""
    settings = platforms.settings_file(platform, env, home, profile)
    return "\n".join(
        [
            f"loginguard {__version__}",
            f"Python {host.python_version()}, Qt {qt}, {platform}",
            f"settings: {settings}",
            f"keychain: {_keychain_in_use()} (expected {platforms.keychain_backend(platform)})",
        ]
    )


def _keychain_in_use() -> str:
    # By name: the app itself does not need keyring to start, and a bundle without it
    # should say so here rather than fail.
    try:
        keyring = importlib.import_module("keyring")
        backend = type(keyring.get_keyring())
    except Exception:
        return "none (keyring unavailable)"
    return f"{backend.__module__}.{backend.__qualname__}"


def binding_drops_none() -> bool:
    """True when the installed PySide6 drops a reference to None on every void call.

    PySide6/shiboken6 6.12.0 does on Python 3.11 (3.12 made None immortal): after
    some thousands of calls the interpreter aborts with "none_dealloc". Checked
    at start-up so that such a build says so instead of dying an hour later.
    """
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(100):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= 50


def _say(text: str) -> None:
    if sys.stderr is not None:  # a windowed Windows build may have no stderr at all
        print(f"loginguard: {text}", file=sys.stderr, flush=True)


def _log_to(log_file: Path | None) -> None:
    handlers: list[logging.Handler] = []
    if sys.stderr is not None:
        handlers.append(logging.StreamHandler(sys.stderr))
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter("loginguard: %(message)s"))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        for handler in handlers:
            logger.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Imported here so that `--help` works without a display and stays fast.
    from PySide6.QtCore import qVersion

    from desktop_app.settings import valid_profile

    if not valid_profile(args.profile):
        _say(f"bad --profile {args.profile!r}")
        return 2
    env, home = os.environ, Path.home()
    if args.version:
        print(version_text(args.profile, sys.platform, env, home, qVersion()))
        return 0
    qpa = platforms.qt_platform(sys.platform, env)
    if qpa is None:
        _say(
            "no display (DISPLAY and WAYLAND_DISPLAY are unset); "
            "set QT_QPA_PLATFORM=offscreen to run without windows"
        )
        return 2
    os.environ["QT_QPA_PLATFORM"] = qpa
    _log_to(args.log_file)
    return _run(args, platforms.as_local(platforms.settings_root(sys.platform, env, home)))


def _run(args: argparse.Namespace, settings_root: Path) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_app.session import Transition
    from desktop_app.settings import Settings
    from desktop_app.single_instance import InstanceGuard, ask_first_to_raise, bring_to_front
    from desktop_app.ui.controller import Controller, Options

    if binding_drops_none():
        _say(
            "this PySide6 build corrupts Python's reference counts and will "
            "crash (PySide6 6.12.0 on Python 3.11); install PySide6-Essentials<6.12"
        )
    # Read once and drop it from the environment, so no child process inherits it.
    password = os.environ.pop(PASSWORD_ENV, None)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("LoginGuard")
    app.setOrganizationName("LoginGuard")
    # Windows come and go (login ↔ main); quitting is the controller's decision.
    app.setQuitOnLastWindowClosed(False)

    settings = Settings(args.profile, directory=settings_root)
    settings_file = Path(settings.path)
    guard = InstanceGuard(
        platforms.instance_name(sys.platform, settings_file),
        platforms.as_local(platforms.lock_file(settings_file)),
    )
    if not guard.claim():
        if ask_first_to_raise(guard.name):
            _say(f"profile {args.profile!r} is already open: brought its window to the front")
            return 0
        _say(f"profile {args.profile!r} is held by another start that does not answer")
        return EXIT_BUSY

    options = Options(
        server=args.server,
        username=args.username,
        password=password if args.username else None,
        device_name=args.device_name,
        language=args.language,
    )

    async def run() -> int:
        controller = Controller(settings, options)

        def raise_windows() -> None:
            controller.open_window()  # also out of the tray, when hidden there
            shown = bring_to_front(app)  # and any dialog above it
            titles = ", ".join(repr(w.windowTitle()) for w in shown)
            logging.getLogger("loginguard.instance").info(
                "raised=%d by a second start: %s", len(shown), titles
            )

        guard.raise_requested.connect(raise_windows)
        ended: list[Transition] = []

        def quit_after_ending(transition: Transition) -> None:
            if transition.new.ended and not ended:
                ended.append(transition)
                controller.request_quit()

        if args.exit_on_end:
            # Connected after the controller's own slots, so the ending is shown first.
            controller.signals.changed.connect(quit_after_ending)
        loop = asyncio.get_running_loop()
        if sys.platform != "win32":
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, controller.request_quit)
        controller.start()
        await controller.closed
        return EXIT_ENDED if ended else 0

    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            return runner.run(run())
    finally:
        guard.release()


if __name__ == "__main__":
    raise SystemExit(main())
