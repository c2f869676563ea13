"""Smoke test of the packaged app: sign in, get displaced, quit with exit code 0.

    python packaging/smoke.py [dist/loginguard/loginguard]

Starts a demo server on a free loopback port, runs the binary offscreen with the
automation flags (``--username``, password in ``LOGINGUARD_PASSWORD``) and a throw-away
settings folder, waits for ``state=connected`` on its stderr, signs the same account in
over HTTP as another device, then expects ``state=displaced`` naming that device and a
clean exit (status 0, no traceback): by itself when the app offers
``--exit-on-displaced``, else after SIGTERM, which the app handles like a closed window.
``make package`` runs this; ``tests/packaging/test_smoke.py`` runs :func:`check` under
pytest whenever a bundle exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))  # packaging/ is not a package
from procs import ROOT, spawn, stop_all, wait_healthy

BINARY = ROOT / "dist" / "loginguard" / ("loginguard.exe" if os.name == "nt" else "loginguard")
USER, PASSWORD = "user1", "password1"
FIRST, SECOND = "SMOKE-PC-1", "SMOKE-PC-2"
EXIT_FLAG = "--exit-on-displaced"
# Lines that mean the app misbehaved even if it reached every state.
_BAD = ("Traceback", "Task was destroyed", "Exception ignored", "was never awaited")
_FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


class SmokeFailure(AssertionError):
    """The packaged app did not do what the smoke test expects; the message says what."""


def fields(line: str) -> dict[str, str]:
    """``key=value`` pairs of one state line; JSON-quoted values are unquoted."""
    return {k: json.loads(v) if v.startswith('"') else v for k, v in _FIELD.findall(line)}


@dataclass
class Report:
    """What the run showed: every stderr line, the displacing device, the exit status."""

    lines: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    displaced_by: str | None = None
    exit_code: int | None = None
    quit_by: str = ""  # "itself" (--exit-on-displaced) or "SIGTERM"
    seconds: float = 0.0


class _Reader:
    """Collects the app's stderr lines on a thread so waits can time out."""

    def __init__(self, proc: subprocess.Popen[str], report: Report) -> None:
        self.proc = proc
        self.report = report
        self.lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                self.lines.put(line.rstrip("\n"))
            self.lines.put(None)

        self.thread = threading.Thread(target=pump, name="smoke-stderr", daemon=True)
        self.thread.start()

    def until_state(self, state: str, timeout: float) -> dict[str, str]:
        """Read lines until one says ``state=<state>``; fail on timeout or exit."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise SmokeFailure(f"the app exited before state={state}")
            self.report.lines.append(line)
            found = fields(line)
            if "state" in found:
                self.report.states.append(found["state"])
                if found["state"] == state:
                    return found
        raise SmokeFailure(f"no state={state} within {timeout:.0f} s")

    def close(self) -> None:
        """After the process ended: let the reader reach end of file, release the pipe."""
        self.thread.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()

    def drain(self) -> None:
        """Keep what the app wrote after the last awaited state (it has exited by now)."""
        with contextlib.suppress(queue.Empty):
            while (line := self.lines.get(timeout=5)) is not None:
                self.report.lines.append(line)


def login_elsewhere(url: str, device: str = SECOND) -> dict[str, object]:
    """Sign the smoke account in over HTTP as another device; return the JSON body."""
    body = {
        "username": USER,
        "password": PASSWORD,
        "device_id": f"smoke-{uuid.uuid4()}",
        "device_name": device,
    }
    request = urllib.request.Request(  # noqa: S310 - a loopback URL built by this test
        f"{url}/api/auth/login",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
        answer: dict[str, object] = json.loads(resp.read())
    return answer


def self_exit_flag(binary: Path, env: Mapping[str, str]) -> str | None:
    """``--exit-on-displaced`` when the app's ``--help`` offers it, else None."""
    try:
        shown = subprocess.run(  # noqa: S603 - the binary under test
            [str(binary), "--help"], env=dict(env), capture_output=True, text=True, timeout=60
        ).stdout
    except subprocess.TimeoutExpired:
        return None
    return EXIT_FLAG if EXIT_FLAG in shown else None


def check(binary: Path, url: str, *, timeout: float = 60.0) -> Report:
    """Run the smoke scenario against the server at ``url``; raise SmokeFailure if it fails.

    With ``--exit-on-displaced`` the app must quit by itself after the displacement;
    an app without that flag is asked to quit with SIGTERM instead (POSIX), which it
    must honour as cleanly as a closed window. Either way the exit status must be 0.
    """
    report = Report()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="loginguard-smoke-") as home:
        env = _app_env(os.environ, home)
        flag = self_exit_flag(binary, env)
        argv = [str(binary), "--server", url, "--profile", "smoke", "--device-name", FIRST]
        argv += ["--username", USER, *([flag] if flag else [])]
        proc = subprocess.Popen(  # noqa: S603 - the binary under test
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=os.name == "posix",
        )
        reader = _Reader(proc, report)
        try:
            reader.until_state("connected", timeout)
            answer = login_elsewhere(url)
            if not answer.get("displaced"):
                raise SmokeFailure(f"the second login displaced nobody: {answer}")
            displaced = reader.until_state("displaced", timeout / 3)
            report.displaced_by = displaced.get("by")
            if report.displaced_by != SECOND:
                raise SmokeFailure(f"displaced by {report.displaced_by!r}, expected {SECOND!r}")
            if flag is None:
                proc.terminate()
            report.exit_code = proc.wait(timeout=timeout / 3)
            reader.drain()
        except subprocess.TimeoutExpired:
            failure = SmokeFailure("the app did not quit after state=displaced")
            raise SmokeFailure(f"{failure}\n--- app stderr ---\n{_join(report)}") from None
        except SmokeFailure as failure:
            raise SmokeFailure(f"{failure}\n--- app stderr ---\n{_join(report)}") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.close()
    report.quit_by = "itself" if flag else "SIGTERM"
    report.seconds = time.monotonic() - started
    problems = [line for line in report.lines if any(bad in line for bad in _BAD)]
    if report.exit_code != 0 or problems:
        raise SmokeFailure(f"exit code {report.exit_code}, problems {problems}:\n{_join(report)}")
    return report


def _join(report: Report) -> str:
    return "\n".join(report.lines)


def _app_env(base: Mapping[str, str], home: str) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith("LOGINGUARD_")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        LOGINGUARD_PASSWORD=PASSWORD,
        # QSettings and any cache land in the temporary folder, not the user's.
        HOME=home,
        XDG_CONFIG_HOME=str(Path(home) / "config"),
        XDG_CACHE_HOME=str(Path(home) / "cache"),
        XDG_DATA_HOME=str(Path(home) / "data"),
        APPDATA=home,
        LOCALAPPDATA=home,
    )
    return env


def main(argv: Sequence[str] | None = None) -> int:
    """Start a demo server, run :func:`check` on the binary, print the verdict."""
    args = list(sys.argv[1:] if argv is None else argv)
    binary = Path(args[0]) if args else BINARY
    if not binary.exists():
        print(f"smoke: {binary} does not exist; build it with `make package`", file=sys.stderr)
        return 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGINGUARD_")}
    argv = [sys.executable, "-m", "server", "--demo", "--port", str(port)]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        server = spawn("server", argv, env, log)
        try:
            wait_healthy(url, server)
            report = check(binary, url)
        except (SmokeFailure, RuntimeError) as failure:
            stop_all([server])
            log.seek(0)
            print(f"smoke: FAILED - {failure}\n--- server log ---\n{log.read()}", file=sys.stderr)
            return 1
        finally:
            stop_all([server])
    print(
        f"smoke: OK - {binary} reached {' → '.join(report.states)}, displaced by "
        f"{report.displaced_by}, quit by {report.quit_by} with 0 ({report.seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
