"""A private redis-server on a free port, for tests that stop and start Redis."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.server import free_port, timeout


@dataclass
class RedisProcess:
    """Keeps its data across stop/start (RDB written on shutdown, read on start)."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lg-redis-")))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + timeout(10)
        while time.monotonic() < deadline:
            try:
                self._client(0.5).ping()
                return self
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def _client(self, socket_timeout: float) -> redis.Redis:
        # No retries: SHUTDOWN ends in a closed connection, which redis-py would
        # otherwise retry with backoff for seconds.
        return redis.Redis(
            port=self.port, socket_timeout=socket_timeout, retry=Retry(NoBackoff(), 0)
        )

    def snapshot(self) -> None:
        """Write the RDB file now (SAVE): what a later :meth:`stop` without saving restores."""
        self._client(10).save()

    def stop(self, *, save: bool = True) -> None:
        """Shut down (saving, unless told not to) and return once the port no longer answers."""
        with contextlib.suppress(redis.ConnectionError):  # already down
            self._client(2).shutdown(save=save, nosave=not save)
        deadline = time.monotonic() + timeout(10)
        while time.monotonic() < deadline:
            try:
                self._client(0.5).ping()
            except redis.ConnectionError:
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not stop")
