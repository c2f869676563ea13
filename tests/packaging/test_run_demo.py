"""``make run`` (packaging/run_demo.py): server, two windows, one-line headless notice, Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.packaging.scripts import load
from tests.support.output import Output
from tests.support.server import REDIS_TEST_URL, ROOT, free_port, login_body, timeout

run_demo = load("run_demo")


class Demo:
    """``run_demo.py`` in its own process group, its output read line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "packaging/run_demo.py", "--port", str(self.port), *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            # Ctrl-C as a terminal sends it, whatever this run inherited: a shell's
            # background job (`make test &`) starts with SIGINT ignored, and so would the
            # demo, which a real Ctrl-C at a terminal never meets.
            preexec_fn=_default_sigint,
        )
        self.children: list[int] = []  # process groups the demo reported starting
        assert self.proc.stdout is not None
        self.output = Output(self.proc.stdout, self._note_child)
        self.lines = self.output.lines

    def _note_child(self, line: str) -> None:
        if match := re.search(r"\(pid (\d+)\)", line):
            self.children.append(int(match.group(1)))

    def wait_for(self, pattern: str, wait: float = 60.0) -> re.Match[str]:
        """The first output line (from now on) that matches ``pattern``."""
        return self.output.first(
            lambda line: re.search(pattern, line), wait, f"matching {pattern!r}"
        )

    def drain(self, wait: float = 2.0) -> str:
        """Everything printed so far and within ``wait`` seconds more, for a failure message."""
        return self.output.drain(wait)

    def ctrl_c(self) -> int:
        """Send SIGINT to the demo's process group, as a terminal's Ctrl-C does."""
        os.killpg(self.proc.pid, signal.SIGINT)
        code = self.proc.wait(timeout(30))
        self.wait_for(r"^$|Stopping", 5)  # flush what was printed while stopping
        return code

    def close(self) -> None:
        """Kill the demo and its children if a test left them running; release the pipe."""
        for pgid in (self.proc.pid, *self.children):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        self.proc.wait()
        self.output.close()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def group_gone(pgid: int, wait: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout(wait)
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def cmdline(pid: int, wait: float = 5.0) -> list[bytes]:
    """A process's argv from /proc; empty for a moment right after exec, so poll."""
    deadline = time.monotonic() + timeout(wait)
    while True:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            return []
        if raw or time.monotonic() > deadline:
            return raw.split(b"\0")
        time.sleep(0.01)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGINGUARD_", "REDIS_"))}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    # The apps keep their profiles (QSettings) under the test's own folder.
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), **extra)
    return env


@pytest.fixture
def demos() -> Iterator[list[Demo]]:
    started: list[Demo] = []
    yield started
    for demo in started:
        demo.close()


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_display_detection(env: dict[str, str], platform: str, expected: bool) -> None:
    """Windows open only where Qt can show them: a display, a headless Qt platform, or a Mac/PC."""
    assert run_demo.has_display(env, platform) is expected


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ],
)
def test_missing_library_hint_names_the_debian_package(soname: str, package: str) -> None:
    """The hint for a missing Qt library names the Debian package that ships it."""
    assert run_demo.debian_package(soname) == package


def test_busy_port_is_reported_without_starting_anything(tmp_path: Path) -> None:
    """When port is taken, the demo says so and exits 2 instead of starting a server."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "packaging/run_demo.py", "--port", str(port)],
            cwd=ROOT,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=timeout(30),
        )
    assert done.returncode == 2
    assert f"Port {port} on 127.0.0.1 is in use" in done.stdout


def test_headless_demo_keeps_the_server_until_ctrl_c(tmp_path: Path, demos: list[Demo]) -> None:
    """Without a display the demo says so in one line, serves the demo users, and Ctrl-C ends it."""
    demo = Demo(_env(tmp_path))
    demos.append(demo)
    server_pid = int(demo.wait_for(r"Started the server \(pid (\d+)\)").group(1))
    demo.wait_for(r"^No display \(DISPLAY and WAYLAND_DISPLAY are unset\).*press Ctrl-C")
    demo.wait_for(r"embedded store")

    r = httpx.post(demo.url + "/api/auth/login", json=login_body("user1", "PC-1"), timeout=30)
    assert r.status_code == 200, r.text

    assert demo.ctrl_c() == 0
    assert group_gone(server_pid), "the server's process group outlived the demo"
    with pytest.raises(httpx.ConnectError):
        httpx.get(demo.url + "/healthz", timeout=2)


def test_demo_opens_pc1_and_pc2_and_ctrl_c_closes_them(tmp_path: Path, demos: list[Demo]) -> None:
    """With a (headless) Qt platform the demo opens two app windows as PC-1 and PC-2."""
    demo = Demo(_env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    demos.append(demo)
    server_pid = int(demo.wait_for(r"Started the server \(pid (\d+)\)").group(1))
    pids = {name: int(demo.wait_for(rf"Opened the {name} window \(pid (\d+)\)").group(1))
            for name in ("PC-1", "PC-2")}  # fmt: skip
    demo.wait_for(r'In the window "PC-1", sign in as user1')

    for name, pid in pids.items():
        argv = cmdline(pid)
        assert b"--profile" in argv, f"the {name} window exited at once:\n{demo.drain()}"
        assert [b"--profile", name.encode()] == argv[argv.index(b"--profile") :][:2]
        assert [b"--device-name", name.encode()] == argv[argv.index(b"--device-name") :][:2]
        assert demo.url.encode() in argv
    time.sleep(timeout(2))  # long enough for a broken app to have crashed at start-up
    assert not [line for line in demo.lines if "window closed" in line], demo.lines

    assert demo.ctrl_c() == 0
    for pgid in (server_pid, *pids.values()):
        assert group_gone(pgid), f"process group {pgid} outlived the demo"


@pytest.mark.redis
def test_redis_url_runs_the_demo_on_redis(
    tmp_path: Path, demos: list[Demo], redis_prefix: str
) -> None:
    """With REDIS_URL set the demo server keeps its accounts and sessions in that Redis."""
    env = _env(tmp_path, REDIS_URL=REDIS_TEST_URL, LOGINGUARD_REDIS_PREFIX=redis_prefix)
    demo = Demo(env)
    demos.append(demo)
    demo.wait_for(r"on the Redis store")
    r = httpx.post(demo.url + "/api/auth/login", json=login_body("user2", "PC-1"), timeout=30)
    assert r.status_code == 200, r.text

    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        assert list(client.scan_iter(match=f"{redis_prefix}:*", count=1000))
    finally:
        client.close()
    assert demo.ctrl_c() == 0


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ((["PORT=8100"], {}), "packaging/run_demo.py --port 8100"),
        (([], {"PORT": "8101"}), "packaging/run_demo.py --port 8101"),
        (([], {}), "packaging/run_demo.py"),
    ],
)
def test_make_run_takes_the_port_as_people_type_it(
    how: tuple[list[str], dict[str, str]], expected: str
) -> None:
    """`make run PORT=8100` and `PORT=8100 make run` reach run_demo.py as --port 8100."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    args, extra = how
    env = {k: v for k, v in os.environ.items() if k != "PORT"} | extra
    # -n prints the recipe without running it; -W treats the venv as up to date.
    done = subprocess.run(
        ["make", "-n", "-W", ".venv/bin/.installed", "run", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout(30),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "run_demo.py" in line]
    assert len(lines) == 1, done.stdout
    assert lines[0].endswith(expected)


@pytest.mark.redis
def test_redis_demo_keeps_its_secret_so_tokens_survive_a_restart(
    tmp_path: Path, demos: list[Demo], redis_prefix: str
) -> None:
    """On Redis a restarted demo accepts the token a window got from the first one: the
    signing secret is kept in that Redis beside the demo's keys, not made anew."""
    env = _env(tmp_path, REDIS_URL=REDIS_TEST_URL, LOGINGUARD_REDIS_PREFIX=redis_prefix)
    first = Demo(env)
    demos.append(first)
    first.wait_for(r"on the Redis store")
    r = httpx.post(first.url + "/api/auth/login", json=login_body("user1", "PC-1"), timeout=30)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert first.ctrl_c() == 0

    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        kept = client.get(f"{redis_prefix}:demo:jwt-secret")
    finally:
        client.close()
    assert kept is not None
    assert len(kept) >= 32

    second = Demo(env)
    demos.append(second)
    second.wait_for(r"on the Redis store")
    me = httpx.get(second.url + "/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["user"]["username"] == "user1"
