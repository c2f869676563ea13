"""The two servers under test as process groups, their accounts, and what /proc says of them.

Both run on the tests' Redis DB (``tests/support/server.py`` ``REDIS_TEST_URL``)
under a fresh key prefix per run; only that prefix is deleted afterwards.
Accounts are seeded by the real ``python -m server users seed`` command.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.client import PASSWORD
from tests.support.server import FAST_HASH_ENV, REDIS_TEST_URL, ROOT, ServerProcess

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
    process: ServerProcess = field(init=False)

    def __post_init__(self) -> None:
        args = ["--workers", str(self.workers)]
        args += ["--redis-url", REDIS_TEST_URL, "--redis-prefix", self.prefix]
        module = "benchmarks.baseline" if self.kind == "baseline" else "server"
        if module == "server":
            args += UNLIMITED
        log = Path(tempfile.mkstemp(prefix="lg-bench-")[1])
        self.process = ServerProcess(args, module=module, log_file=log)

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def log(self) -> Path:
        return self.process.log_file

    def start(self) -> Server:
        try:
            self.process.start(wait=60)
        except RuntimeError as exc:
            raise RuntimeError(f"{self.kind}: {exc}") from None
        time.sleep(0.5 * self.workers)  # every worker up, not just the first
        return self

    def stop(self, *, keep_log: bool = False) -> None:
        """Stop the group; its log is deleted unless ``keep_log`` (then it is kept for reading)."""
        self.process.stop(wait=30)
        if not keep_log:
            self.log.unlink(missing_ok=True)

    def pids(self) -> list[int]:
        """Every live process of the server's group (main and workers)."""
        proc = self.process.proc
        assert proc is not None
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[2]) == proc.pid:
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
