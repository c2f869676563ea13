"""``python -m desktop_app`` / ``loginguard``: the desktop app.

Automation (tests, demos): ``--server URL --username U`` with the password in
the environment variable ``LOGINGUARD_PASSWORD`` signs in once at start-up.
Every state change is written to stderr as one line with ``state=<name>``
(a displacement line also has ``by=<device name>``). SIGINT and SIGTERM quit
cleanly, exactly like closing the window.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

PASSWORD_ENV = "LOGINGUARD_PASSWORD"  # noqa: S105 - the variable's name, not a password


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="loginguard", description="LoginGuard: one account, one PC at a time."
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
    return parser.parse_args(argv)


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


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Imported here so that `--help` works without a display and stays fast.
    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop_app.settings import Settings, valid_profile
    from desktop_app.ui.controller import Controller, Options

    if not valid_profile(args.profile):
        print(f"loginguard: bad --profile {args.profile!r}", file=sys.stderr)
        return 2
    if sys.stderr is not None:  # a windowed Windows build has no stderr at all
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("loginguard: %(message)s"))
        logging.getLogger("loginguard.state").addHandler(handler)
        logging.getLogger("loginguard.state").setLevel(logging.INFO)

    if binding_drops_none():
        print(
            "loginguard: this PySide6 build corrupts Python's reference counts and will "
            "crash (PySide6 6.12.0 on Python 3.11); install PySide6-Essentials<6.12",
            file=sys.stderr,
        )
    # Read once and drop it from the environment, so no child process inherits it.
    password = os.environ.pop(PASSWORD_ENV, None)
    options = Options(
        server=args.server,
        username=args.username,
        password=password if args.username else None,
        device_name=args.device_name,
        language=args.language,
    )
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("LoginGuard")
    app.setOrganizationName("LoginGuard")
    # Windows come and go (login ↔ main); quitting is the controller's decision.
    app.setQuitOnLastWindowClosed(False)

    async def run() -> int:
        controller = Controller(Settings(args.profile), options)
        loop = asyncio.get_running_loop()
        if sys.platform != "win32":
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, controller.request_quit)
        controller.start()
        await controller.closed
        return 0

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(run())


if __name__ == "__main__":
    raise SystemExit(main())
