"""``python -m desktop_app`` as a real process: automation sign-in, stderr state lines,
and a clean quit on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from desktop_app.__main__ import main
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
    for flag in ("--server", "--profile", "--device-name", "--username"):
        assert flag in out


def test_a_bad_profile_name_is_refused() -> None:
    """A profile name that could escape the settings folder is refused with exit code 2."""
    assert main(["--profile", "../elsewhere"]) == 2
