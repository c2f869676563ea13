"""Smoke test of the packaged app: sign in, get displaced, quit by itself with status 3.

    python packaging/smoke.py [dist/loginguard/loginguard]

Starts a demo server on a free loopback port, runs the binary offscreen with the
automation flags (``--username``, password in ``LOGINGUARD_PASSWORD``), ``--exit-on-end``,
``--log-file`` and a throw-away settings folder, waits for ``state=connected`` in that log,
signs the same account in over HTTP as another device, then expects ``state=displaced``
naming that device and the app to quit by itself with status 3 (``--exit-on-end``) and
no traceback. The state lines are read from the log file, not stderr, so the same test
runs on a windowed Windows build. ``make package`` runs this; the release workflow runs it
on every OS; ``tests/packaging/test_smoke.py`` runs :func:`check` whenever a bundle exists.
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
EXIT_ENDED = 3  # the app's status after an ending with --exit-on-end (desktop_app.__main__)
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
    """What the run showed: every logged line, the displacing device, the exit status."""

    lines: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    displaced_by: str | None = None
    exit_code: int | None = None
    stderr: str = ""
    seconds: float = 0.0


class _Tail:
    """Follows the app's ``--log-file`` on a thread so waits can time out."""

    def __init__(self, path: Path, proc: subprocess.Popen[bytes], report: Report) -> None:
        self.report = report
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()

        def pump() -> None:
            while not path.exists() and proc.poll() is None and not self._stop.is_set():
                time.sleep(0.05)
            with contextlib.suppress(FileNotFoundError), path.open(encoding="utf-8") as f:
                partial = ""
                while True:
                    partial += f.readline()
                    if partial.endswith("\n"):
                        self.lines.put(partial.rstrip("\n"))
                        partial = ""
                    elif proc.poll() is not None or self._stop.is_set():
                        if rest := partial + f.read():
                            self.lines.put(rest.rstrip("\n"))
                        break
                    else:
                        time.sleep(0.05)
            self.lines.put(None)

        self.thread = threading.Thread(target=pump, name="smoke-log", daemon=True)
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
        """After the process ended: keep what it logged last, stop following."""
        self._stop.set()
        self.thread.join(timeout=10)
        with contextlib.suppress(queue.Empty):
            while (line := self.lines.get_nowait()) is not None:
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


def check(binary: Path, url: str, *, timeout: float = 60.0) -> Report:
    """Run the smoke scenario against the server at ``url``; raise SmokeFailure if it fails.

    The app must quit by itself after the displacement (``--exit-on-end``) with status 3,
    and neither its log nor its stderr may show a traceback.
    """
    report = Report()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="loginguard-smoke-") as home:
        env = _app_env(os.environ, home)
        log, err = Path(home) / "app.log", Path(home) / "stderr.txt"
        argv = [str(binary), "--server", url, "--profile", "smoke", "--device-name", FIRST]
        argv += ["--username", USER, "--exit-on-end", "--log-file", str(log)]
        with err.open("wb") as stderr:
            proc = subprocess.Popen(  # noqa: S603 - the binary under test
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=os.name == "posix",
            )
        tail = _Tail(log, proc, report)
        try:
            tail.until_state("connected", timeout)
            answer = login_elsewhere(url)
            if not answer.get("displaced"):
                raise SmokeFailure(f"the second login displaced nobody: {answer}")
            displaced = tail.until_state("displaced", timeout / 3)
            report.displaced_by = displaced.get("by")
            if report.displaced_by != SECOND:
                raise SmokeFailure(f"displaced by {report.displaced_by!r}, expected {SECOND!r}")
            report.exit_code = proc.wait(timeout=timeout / 3)
        except subprocess.TimeoutExpired:
            failure = SmokeFailure("the app did not quit by itself after state=displaced")
            raise SmokeFailure(f"{failure}\n{_join(report, err)}") from None
        except SmokeFailure as failure:
            raise SmokeFailure(f"{failure}\n{_join(report, err)}") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            tail.close()
        report.stderr = err.read_text(encoding="utf-8", errors="replace")
    report.seconds = time.monotonic() - started
    seen = [*report.lines, *report.stderr.splitlines()]
    problems = [line for line in seen if any(bad in line for bad in _BAD)]
    if report.exit_code != EXIT_ENDED or problems:
        raise SmokeFailure(
            f"exit code {report.exit_code} (expected {EXIT_ENDED}), problems {problems}:\n"
            + "\n".join(seen)
        )
    return report


def _join(report: Report, stderr: Path) -> str:
    err = stderr.read_text(encoding="utf-8", errors="replace") if stderr.exists() else ""
    return "--- app log ---\n" + "\n".join(report.lines) + "\n--- app stderr ---\n" + err


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
        f"{report.displaced_by}, quit by itself with {report.exit_code} ({report.seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
