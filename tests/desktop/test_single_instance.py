"""One app per profile, with real app processes: a second start raises the first and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import platforms
from tests.support.output import Output
from tests.support.server import ROOT, timeout


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGINGUARD_")}
    # The settings folder under ``home`` on every OS (desktop_app.platforms).
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(home), LOCALAPPDATA=str(home))
    env.update(HOME=str(home))
    return env


def lock_of(home: Path, profile: str) -> Path:
    ini = platforms.settings_file(sys.platform, _env(home), home, profile)
    return Path(str(platforms.lock_file(ini)))


class App:
    """``python -m desktop_app`` offscreen, its stderr read line by line on a thread."""

    def __init__(self, config: Path, *args: str) -> None:
        env = _env(config)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "desktop_app", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        self.output = Output(self.proc.stderr)
        self.lines = self.output.lines

    def line_with(self, text: str, wait: float = 30.0) -> str:
        return self.output.first(
            lambda line: line if text in line else None, wait, f"with {text!r}"
        )

    def finish(self, wait: float = 30.0) -> int:
        code = self.proc.wait(timeout(wait))
        self.output.drain(timeout(5))
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.output.close()


@pytest.fixture
def apps() -> Iterator[list[App]]:
    started: list[App] = []
    yield started
    for app in started:
        app.close()


def holding(lock: Path, app: App, wait: float = 30.0) -> None:
    """Wait until ``app`` holds the profile (its lock file names its pid)."""
    deadline = time.monotonic() + timeout(wait)
    while time.monotonic() < deadline:
        assert app.proc.poll() is None, f"exited with {app.proc.returncode}"
        if lock.exists() and lock.read_text().split("\n", 1)[0] == str(app.proc.pid):
            return
        time.sleep(0.05)
    raise AssertionError(f"{lock} never named pid {app.proc.pid}")


def test_second_start_of_a_profile_raises_the_first_and_exits_0(
    tmp_path: Path, apps: list[App]
) -> None:
    """Starting PC-1 again brings the running PC-1 window forward; PC-2 starts on its own."""
    lock = lock_of(tmp_path, "PC-1")
    first = App(tmp_path, "--profile", "PC-1")
    apps.append(first)
    holding(lock, first)

    again = App(tmp_path, "--profile", "PC-1", "--device-name", "other")
    apps.append(again)
    assert again.finish() == 0
    assert any("'PC-1' is already open" in x for x in again.lines), again.lines
    assert "raised=1 by a second start" in first.line_with("raised=")
    assert first.proc.poll() is None

    other = App(tmp_path, "--profile", "PC-2")
    apps.append(other)
    holding(lock_of(tmp_path, "PC-2"), other)
    assert first.proc.poll() is None


def test_a_killed_first_start_leaves_nothing_in_the_way(tmp_path: Path, apps: list[App]) -> None:
    """After the first start is killed (no cleanup), the next start takes the profile over
    and is itself raised by the one after."""
    lock = lock_of(tmp_path, "PC-1")
    first = App(tmp_path, "--profile", "PC-1")
    apps.append(first)
    holding(lock, first)
    first.proc.kill()
    first.proc.wait()
    assert lock.exists()  # left behind, as a crash would

    heir = App(tmp_path, "--profile", "PC-1")
    apps.append(heir)
    holding(lock, heir)
    again = App(tmp_path, "--profile", "PC-1")
    apps.append(again)
    assert again.finish() == 0
    heir.line_with("raised=1")
