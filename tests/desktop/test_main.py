"""``python -m desktop_app`` as a real process: automation sign-in, stderr state lines,
a clean quit on SIGTERM, ``--exit-on-end``, ``--version`` and no display."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

import desktop_app
from desktop_app import platforms
from desktop_app.__main__ import EXIT_ENDED, main
from tests.desktop.helpers import api_get, api_login
from tests.support.server import ROOT, ServerProcess, timeout

#: Anything of these on stderr means the quit was not clean.
NOISE = ("Traceback", "Warning", "Task was destroyed", "Exception ignored", "Unclosed", "Fatal")


class AppProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def line_with(self, *parts: str, wait: float = 10.0) -> str:
        """The next stderr line containing every one of ``parts``."""

        async def scan() -> str:
            assert self.proc.stderr is not None
            while raw := await self.proc.stderr.readline():
                line = raw.decode(errors="replace").rstrip("\n")
                self.lines.append(line)
                if all(p in line for p in parts):
                    return line
            raise AssertionError(f"app exited before {parts}:\n" + "\n".join(self.lines))

        return await asyncio.wait_for(scan(), timeout(wait))

    async def quit(self, wait: float = 15.0) -> int:
        """SIGTERM, as a session manager would send; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.stderr is not None
        rest = await asyncio.wait_for(self.proc.stderr.read(), timeout(wait))
        self.lines += rest.decode(errors="replace").splitlines()
        return await self.proc.wait()


@pytest.fixture
async def launch(tmp_path: Path) -> AsyncIterator[Callable[..., asyncio.Future[AppProcess]]]:
    started: list[AppProcess] = []

    async def start(*args: str, password: str | None = None) -> AppProcess:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            # Never the tester's own keychain (these runs do not opt in, but to be sure).
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "LOCALAPPDATA": str(tmp_path / "local"),  # the settings folder on Windows
        }
        if password is not None:
            env["LOGINGUARD_PASSWORD"] = password
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-X", "dev", "-m", "desktop_app", *args,
            cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        app = AppProcess(proc)
        started.append(app)
        return app

    yield start  # type: ignore[misc]
    for app in started:
        if app.proc.returncode is None:
            app.proc.kill()
            await app.proc.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no SIGTERM to send")
async def test_automation_signs_in_once_and_logs_the_displacement(
    launch: Callable[..., asyncio.Future[AppProcess]], memory_server: ServerProcess
) -> None:
    """--username with LOGINGUARD_PASSWORD signs in; PC-2's login logs state=displaced by=PC-2."""
    app = await launch(
        "--server", memory_server.url, "--username", "user1", "--device-name", "PC-1",
        password="password1",
    )  # fmt: skip
    assert "user=user1" in await app.line_with("state=connected")
    pc2 = await api_login(memory_server, device="PC-2")
    line = await app.line_with("state=displaced")
    assert " by=PC-2 " in line
    assert "reason=displaced" in line
    await asyncio.sleep(1.5)  # long enough for a ping-pong to show, if there were one
    me = await api_get(memory_server, "/api/auth/me", pc2.json()["access_token"])
    assert me.status_code == 200
    assert await app.quit() == 0
    after = app.lines[app.lines.index(line) + 1 :]
    assert not [x for x in after if "state=logging_in" in x]
    assert not [x for x in app.lines if any(n in x for n in NOISE)], app.lines


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no SIGTERM to send")
async def test_sigterm_quits_cleanly_and_signs_out(
    launch: Callable[..., asyncio.Future[AppProcess]],
    start_server: Callable[..., ServerProcess],
) -> None:
    """SIGTERM while connected exits 0, logs state=logged_out, warns nothing, frees the account."""
    server = start_server("--demo", "--policy", "reject")
    app = await launch(
        "--server", server.url, "--username", "user1", "--profile", "quit-test",
        password="password1",
    )  # fmt: skip
    await app.line_with("state=connected")
    assert (await api_login(server, device="PC-2")).status_code == 409
    assert await app.quit() == 0
    assert any("state=logged_out" in x for x in app.lines), app.lines
    assert not [x for x in app.lines if any(n in x for n in NOISE)], app.lines
    assert (await api_login(server, device="PC-2")).status_code == 200


def test_help_needs_no_display(capsys: pytest.CaptureFixture[str]) -> None:
    """main(["--help"]) prints the flags and exits 0 before touching Qt."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--server", "--profile", "--device-name", "--username", "--exit-on-end"):
        assert flag in out


def test_a_bad_profile_name_is_refused() -> None:
    """A profile name that could escape the settings folder is refused with exit code 2."""
    assert main(["--profile", "../elsewhere"]) == 2


async def test_exit_on_end_quits_with_its_code_once_the_ending_is_shown(
    launch: Callable[..., asyncio.Future[AppProcess]],
    memory_server: ServerProcess,
    tmp_path: Path,
) -> None:
    """--exit-on-end: displaced by PC-2, the app logs it (stderr and --log-file), then exits 3."""
    log_file = tmp_path / "app.log"
    app = await launch(
        "--server", memory_server.url, "--username", "user1", "--device-name", "PC-1",
        "--exit-on-end", "--log-file", str(log_file), password="password1",
    )  # fmt: skip
    await app.line_with("state=connected")
    await api_login(memory_server, device="PC-2")
    await app.line_with("state=displaced")
    assert await asyncio.wait_for(app.proc.wait(), timeout(15)) == EXIT_ENDED == 3
    logged = log_file.read_text(encoding="utf-8").splitlines()
    assert [x.split()[1] for x in logged] == [
        "state=logging_in",
        "state=connected",
        "state=displaced",
    ]
    assert "by=PC-2" in logged[-1]
    assert not [x for x in app.lines if any(n in x for n in NOISE)], app.lines


def _run_app(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout(60),
    )  # fmt: skip


def test_version_names_the_settings_file_of_the_profile(tmp_path: Path) -> None:
    """--version prints the version, then the profile's settings file, with no display."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env.update(XDG_CONFIG_HOME=str(tmp_path), LOCALAPPDATA=str(tmp_path), HOME=str(tmp_path))
    done = _run_app("--version", "--profile", "PC-9", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"loginguard {desktop_app.__version__}"
    expected = platforms.settings_file(sys.platform, env, tmp_path, "PC-9")
    assert f"settings: {expected}" in lines
    assert str(tmp_path) in str(expected)


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Windows and macOS always have one"
)
def test_without_a_display_it_says_so_in_one_line(tmp_path: Path) -> None:
    """No DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM: exit 2 with one line, no Qt abort."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}  # fmt: skip
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    done = _run_app("--profile", "headless", env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "loginguard: no display (DISPLAY and WAYLAND_DISPLAY are unset); "
        "set QT_QPA_PLATFORM=offscreen to run without windows"
    ]
