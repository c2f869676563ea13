"""``make run``: one LoginGuard server and two desktop windows, "PC-1" and "PC-2".

Starts ``python -m server --demo`` on 127.0.0.1:8000 (``--port``; ``make run PORT=8100``),
on the embedded store, or on Redis when ``REDIS_URL`` is set, with keys under ``lgdemo:``
so the demo accounts never mix with real ones. Waits for ``/healthz``, opens two app
windows whose separate profiles make them behave as two PCs, and prints the scenario.

On Redis the demo signs tokens with a secret kept beside its data, in that Redis under
``lgdemo:demo:jwt-secret`` (made on first use; never on disk, never in the repository),
so a restarted demo server still accepts the tokens of windows that stayed open, as it
still holds their sessions. ``LOGINGUARD_JWT_SECRET``, when set, wins. The embedded store
forgets every session on restart anyway, so it gets a fresh secret each time.

Guarantees: every child runs in a process group of its own, and Ctrl-C, SIGTERM or SIGHUP
ends each group (SIGTERM, then SIGKILL after a grace period), so nothing it started is
left behind - server workers included. With no display it says so in one line and keeps
the server running alone. Not guaranteed: cleanup after this process is SIGKILLed.

``packaging/`` is deliberately not a Python package (a top-level ``packaging`` would
shadow the PyPI module of that name), so this file is run by path.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

sys.path.append(str(Path(__file__).resolve().parent))  # packaging/ is not a package
from procs import Child, port_taken, spawn, stop_all, wait_healthy

DEVICES = ("PC-1", "PC-2")
DEMO_PREFIX = "lgdemo"  # Redis key prefix of `make run` (the server's default is "lg")
SECRET_KEY = "demo:jwt-secret"  # noqa: S105 - a key name under the prefix, no pattern scans it

# Qt platforms that draw without a window system, so they need no DISPLAY.
_NO_WINDOW_SYSTEM = {"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}


Say = Callable[[str], None]


class Stop(Exception):
    """Raised from a signal handler to leave the main loop and clean up."""


def has_display(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt windows can be shown: always on Windows/macOS, else needs a display.

    A ``QT_QPA_PLATFORM`` that draws without a window system (``offscreen``, ``vnc``...)
    counts as a display: the windows then exist, just not on a monitor.
    """
    if platform in ("win32", "darwin"):
        return True
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip()
    if qpa in _NO_WINDOW_SYSTEM:
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def debian_package(soname: str) -> str:
    """Debian's package name for a shared library: ``libxcb-icccm.so.4`` → ``libxcb-icccm4``.

    Debian policy: name + SONAME version, with a hyphen when the name ends in a digit.
    """
    name, _, version = soname.partition(".so.")
    return f"{name}-{version}" if name[-1:].isdigit() else f"{name}{version}"


def missing_qt_libs(env: Mapping[str, str], platform: str = sys.platform) -> list[str]:
    """System libraries Qt's xcb plugin needs but cannot find (Linux, X11 only).

    Qt then aborts at start-up with a message that does not name them, so we look first:
    ``ldd`` on the plugin lists each unresolved library as "not found".
    """
    if not platform.startswith("linux") or env.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return []
    if not env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return []
    try:
        import PySide6
    except ImportError:
        return []
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    try:
        listing = subprocess.run(  # noqa: S603
            ["ldd", str(plugin)],  # noqa: S607 - ldd comes with glibc, found on PATH
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    missing = [line.split()[0] for line in listing.splitlines() if "not found" in line]
    return sorted(set(missing))


def demo_secret(redis_url: str, prefix: str) -> str:
    """The demo's signing secret, kept in its Redis under ``<prefix>:demo:jwt-secret``.

    The first demo to ask makes it (SET NX, so two demos starting at once agree); every
    later one reads it back. Raises RuntimeError when that Redis cannot be reached.
    """
    from redis import Redis, RedisError
    from redis.cluster import ClusterNode, RedisCluster

    from server.sessions.redis_conn import cluster_seeds, is_cluster_url

    key = f"{prefix}:{SECRET_KEY}"
    client: Redis | RedisCluster
    if is_cluster_url(redis_url):
        seeds, options = cluster_seeds(redis_url)
        nodes = [ClusterNode(host, port) for host, port in seeds]  # type: ignore[no-untyped-call]
        client = RedisCluster(startup_nodes=nodes, socket_timeout=5, **options)
    else:
        client = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.set(key, secrets.token_urlsafe(48), nx=True)
        value = client.get(key)
    except RedisError as exc:
        raise RuntimeError(f"cannot keep the demo's secret in {redis_url}: {exc}") from exc
    finally:
        client.close()
    if not isinstance(value, bytes):
        raise RuntimeError(f"{key} vanished from {redis_url} as it was written")
    return value.decode()


def scenario(url: str, store: str, windows: bool) -> str:
    """The text printed once everything is up."""
    lines = [
        "",
        f"LoginGuard demo: server {url} on the {store}, demo accounts",
        "  user1/password1, user2/password2, user3/password3, admin/admin1234.",
    ]
    if windows:
        lines += [
            "Try it:",
            '  1. In the window "PC-1", sign in as user1 / password1.',
            '  2. In the window "PC-2", sign in as user1 / password1 too.',
            "  3. Watch PC-1: it goes back to its login window and says it was signed",
            "     out because user1 signed in on PC-2.",
        ]
    lines += ["Press Ctrl-C to stop everything this started.", ""]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="run_demo.py", description="Start a demo server and two app windows, PC-1 and PC-2."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--redis-url",
        default=env.get("REDIS_URL") or None,
        help="run the server on this Redis (default: $REDIS_URL, else the embedded store)",
    )
    return p.parse_args(argv)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the demo until Ctrl-C or the server exits; return the exit status."""
    out = out or sys.stdout
    env = dict(os.environ)
    args = parse_args(argv, env)
    url = f"http://{args.host}:{args.port}"

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    if port_taken(args.host, args.port):
        say(f"Port {args.port} on {args.host} is in use: stop what runs there or pass --port.")
        return 2

    child_env = {**env, "PYTHONUNBUFFERED": "1"}
    child_env.pop("LOGINGUARD_PASSWORD", None)  # the demo windows must not sign in by themselves
    server_argv = [sys.executable, "-m", "server", "--demo"]
    server_argv += ["--host", args.host, "--port", str(args.port)]
    store = "embedded store"
    if args.redis_url:
        # Demo accounts with well-known passwords must never land among real ones, so
        # the demo keeps its keys under a prefix of its own unless told otherwise.
        prefix = env.get("LOGINGUARD_REDIS_PREFIX") or DEMO_PREFIX
        server_argv += ["--redis-url", args.redis_url, "--redis-prefix", prefix]
        store = f"Redis store (keys {prefix}:*)"
        if not env.get("LOGINGUARD_JWT_SECRET"):
            try:
                # In the environment, not on the command line, where `ps` would show it.
                child_env["LOGINGUARD_JWT_SECRET"] = demo_secret(args.redis_url, prefix)
            except RuntimeError as err:
                say(f"LoginGuard demo failed: {err}.")
                return 1

    children: list[Child] = []
    handled = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, *handled)}
    for sig in handled:
        signal.signal(sig, _on_signal)
    try:
        server = spawn("server", server_argv, child_env, out)
        children.append(server)
        say(f"Started the server (pid {server.proc.pid}), waiting for {url}/healthz ...")
        wait_healthy(url, server)

        apps = open_windows(url, env, child_env, out, say)
        children += apps
        say(scenario(url, store, bool(apps)))
        return _watch(server, apps, say)
    except KeyboardInterrupt:
        say("Stopping ...")
        return 0
    except Stop as why:
        say(f"Stopping ({why}) ...")
        return 0
    except RuntimeError as err:
        say(f"LoginGuard demo failed: {err}.")
        return 1
    finally:
        # A second Ctrl-C while stopping must not cut the cleanup short: the children
        # are in their own groups, so it would not reach them and they would be orphaned.
        for sig in (signal.SIGINT, *handled):
            signal.signal(sig, signal.SIG_IGN)
        stop_all(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def open_windows(
    url: str, env: Mapping[str, str], child_env: Mapping[str, str], out: TextIO, say: Say
) -> list[Child]:
    """Open the PC-1 and PC-2 windows, or say in one line why not; return what started."""
    if not has_display(env):
        say(
            "No display (DISPLAY and WAYLAND_DISPLAY are unset), so no app windows: "
            f"the server keeps running at {url}; press Ctrl-C to stop it."
        )
        return []
    missing = missing_qt_libs(env)
    if missing:
        packages = " ".join(debian_package(lib) for lib in missing)
        say(
            f"Qt cannot open windows here: it needs {', '.join(missing)} (on Debian/Ubuntu: "
            f"sudo apt-get install {packages}); the server keeps running at {url}."
        )
        return []
    apps = []
    for name in DEVICES:
        argv = [sys.executable, "-m", "desktop_app", "--server", url]
        argv += ["--profile", name, "--device-name", name]
        app = spawn(name, argv, child_env, out)
        apps.append(app)
        say(f"Opened the {name} window (pid {app.proc.pid}).")
    return apps


def _watch(server: Child, apps: Sequence[Child], say: Say) -> int:
    """Sleep until the server exits; note windows that close. Ctrl-C ends it."""
    while server.proc.poll() is None:
        for app in apps:
            if not app.reported and app.proc.poll() is not None:
                app.reported = True
                say(f"The {app.name} window closed (exit code {app.proc.returncode}).")
        time.sleep(0.2)
    say(f"The server exited with code {server.proc.returncode}.")
    return server.proc.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
