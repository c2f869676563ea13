"""The two servers under test as process groups, their accounts, and what /proc says of them.

Both run on the tests' Redis DB (``tests/support/server.py`` ``REDIS_TEST_URL``)
under a fresh key prefix per run; only that prefix is deleted afterwards.
Accounts are seeded by the real ``python -m server users seed`` command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.client import PASSWORD
from tests.support.server import FAST_HASH_ENV, REDIS_TEST_URL, ROOT, TEST_SECRET, free_port

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
NAME_FORMAT = "bench{i}"
#: The login limiter would 429 a bench that signs in thousands of accounts from one address.
UNLIMITED = ["--max-failures-user", "1000000", "--max-failures-device", "1000000"]
UNLIMITED += ["--max-failures-ip", "1000000"]


def users(count: int) -> list[str]:
    return [NAME_FORMAT.format(i=i) for i in range(count)]


def seed(prefix: str, count: int) -> float:
    """Seed ``count`` accounts with the users command; seconds it took."""
    started = time.monotonic()
    command = [sys.executable, "-m", "server", "users", "seed", "--count", str(count)]
    command += ["--name-format", NAME_FORMAT, "--redis-url", REDIS_TEST_URL]
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [*command, "--redis-prefix", prefix],
        cwd=ROOT,
        env={**os.environ, **FAST_HASH_ENV, "LOGINGUARD_SEED_PASSWORD": PASSWORD},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


@dataclass
class Server:
    """``kind`` is "baseline" or "loginguard"; one process group, stopped with it."""

    kind: str
    prefix: str
    workers: int = 1
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="lg-bench-")[1]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        common = ["--port", str(self.port), "--workers", str(self.workers)]
        common += ["--redis-url", REDIS_TEST_URL, "--redis-prefix", self.prefix]
        if self.kind == "baseline":
            return [sys.executable, "-m", "benchmarks.baseline", *common]
        return [sys.executable, "-m", "server", "--host", "127.0.0.1", *common, *UNLIMITED]

    def start(self, wait: float = 60.0) -> Server:
        env = {**os.environ, "LOGINGUARD_JWT_SECRET": TEST_SECRET, **FAST_HASH_ENV}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    time.sleep(0.5 * self.workers)  # every worker up, not just the first
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.kind} did not come up:\n{self.log.read_text()[-3000:]}")

    def stop(self, *, keep_log: bool = False) -> None:
        """Stop the group; its log is deleted unless ``keep_log`` (then it is kept for reading)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not keep_log:
            self.log.unlink(missing_ok=True)

    def pids(self) -> list[int]:
        """Every live process of the server's group (main and workers)."""
        assert self.proc is not None
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[2]) == self.proc.pid:
                    found.append(int(entry.name))
        return found

    def rss(self) -> int:
        """Resident bytes of all the server's processes."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):  # the process just exited
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        return total

    def cpu(self) -> float:
        """CPU seconds (user + system) used so far by all the server's processes."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS
