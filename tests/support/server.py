"""Real LoginGuard server processes for tests, on free loopback ports.

Timeouts scale with ``LOGINGUARD_TEST_TIMEOUT_FACTOR`` (default 1) so a slow
machine can stretch them all at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

FACTOR = float(os.environ.get("LOGINGUARD_TEST_TIMEOUT_FACTOR", "1"))
ROOT = Path(__file__).resolve().parents[2]
TEST_SECRET = "test-secret-" + "x" * 60
REDIS_TEST_URL = os.environ.get("LOGINGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

#: Cheap argon2 parameters so that tests and the login race do not wait on
#: hashing; production keeps the defaults (64 MiB, t=3).
FAST_HASH_ENV = {"LOGINGUARD_ARGON2_MEMORY_KIB": "1024", "LOGINGUARD_ARGON2_TIME_COST": "1"}


def timeout(seconds: float) -> float:
    return seconds * FACTOR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_prefix() -> str:
    return f"lgtest-{uuid.uuid4().hex[:12]}"


def delete_prefix(url: str, prefix: str) -> None:
    """Unlink the keys under ``prefix:`` — only those: the DB may hold other people's data."""
    client = redis.Redis.from_url(url)
    try:
        batch = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if batch:
            client.unlink(*batch)
    finally:
        client.close()


@dataclass
class ServerProcess:
    """One ``python -m server`` process group; ``args`` are extra server flags."""

    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    module: str = "server"  # what ``python -m`` runs: the server, or a probe wrapping it
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_file: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="lg-server-", suffix=".log")[1])
    )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, wait: float = 30.0) -> ServerProcess:
        """Start the server and return once ``/healthz`` answers."""
        return self.launch().ready(wait)

    def launch(self) -> ServerProcess:
        """Start the server process and return at once."""
        env = {**os.environ, "LOGINGUARD_JWT_SECRET": TEST_SECRET, **FAST_HASH_ENV, **self.env}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        cmd = [sys.executable, "-m", self.module, "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [*cmd, *self.args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: workers die with it
            )
        return self

    def ready(self, wait: float = 30.0) -> ServerProcess:
        """Return once ``/healthz`` answers; stop the server if it never does."""
        assert self.proc is not None, "not launched"
        deadline = time.monotonic() + timeout(wait)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not come up:\n{self.log()}")

    def stop(self, wait: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout(wait))
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def restart(self) -> ServerProcess:
        self.stop()
        return self.start()

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def log_with(self, text: str, wait: float = 5.0, *, times: int = 1) -> str:
        """The log once ``text`` is in it ``times`` times: lines come from writer threads."""
        deadline = time.monotonic() + timeout(wait)
        while (log := self.log()).count(text) < times and time.monotonic() < deadline:
            time.sleep(0.02)
        return log


def login_body(user: str = "user1", device: str = "PC-1", **extra: object) -> dict[str, object]:
    number = user[-1] if user[-1].isdigit() else ""
    password = {"admin": "admin1234"}.get(user, f"password{number}")
    return {
        "username": user,
        "password": password,
        "device_id": f"dev-{device}",
        "device_name": device,
        **extra,
    }
