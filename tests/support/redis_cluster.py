"""A private three-primary Redis Cluster on free loopback ports, for a whole test session.

Each node gets a free client port and a free cluster-bus port (``--cluster-port``,
so ``port + 10000`` need not be free), runs daemonized with no persistence in a
temporary directory, and is shut down with ``SHUTDOWN NOSAVE``.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

from tests.support.server import free_port, timeout

PRIMARIES = 3


@dataclass
class RedisCluster:
    """:meth:`start` it, point a store or a server at :attr:`url`, :meth:`stop` it."""

    options: tuple[str, ...] = ()  # extra redis-server flags for every node
    ports: list[int] = field(default_factory=list)
    _taken: set[int] = field(default_factory=set)
    _slots: list[tuple[int, int, int]] = field(default_factory=list)  # first, last, port
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lg-cluster-")))

    @property
    def url(self) -> str:
        """The server's cluster URL, every node a seed."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def node_url(self, port: int) -> str:
        """A cluster URL seeded with this one node only."""
        return f"redis+cluster://127.0.0.1:{port}"

    @contextlib.contextmanager
    def client(self, port: int) -> Iterator[redis.Redis]:
        """A plain (non-cluster) client of one node, closed afterwards."""
        client = redis.Redis(
            port=port,
            socket_timeout=timeout(5),
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),  # a node that is down stays down: fail at once
        )
        try:
            yield client
        finally:
            client.close()

    def start(self) -> RedisCluster:
        try:
            for _ in range(PRIMARIES):
                self.ports.append(self._start_node())
            subprocess.run(
                [
                    "redis-cli",
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{p}" for p in self.ports),
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                check=True,
                capture_output=True,
                timeout=timeout(30),
            )
            self._wait_until_ok()
            with self.client(self.ports[0]) as client:
                ranges = client.execute_command("CLUSTER", "SLOTS")
            self._slots = [(start, end, int(primary[1])) for start, end, primary, *_ in ranges]
        except BaseException:
            self.stop()
            raise
        return self

    def _start_node(self) -> int:
        port, bus = self._free_port(), self._free_port()
        subprocess.run(
            [
                "redis-server",
                *("--port", str(port), "--cluster-port", str(bus), "--bind", "127.0.0.1"),
                *("--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
                *("--logfile", str(self.workdir / f"redis-{port}.log"), "--daemonize", "yes"),
                *self.options,
            ],
            check=True,
        )
        deadline = time.monotonic() + timeout(10)
        while True:
            try:
                with self.client(port) as client:
                    client.ping()
                return port
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _free_port(self) -> int:
        """A free port that no node of this cluster was given yet."""
        while (port := free_port()) in self._taken:
            pass
        self._taken.add(port)
        return port

    def _wait_until_ok(self) -> None:
        """Every node says ``cluster_state:ok`` and knows every primary."""
        deadline = time.monotonic() + timeout(30)
        while True:
            infos = []
            for port in self.ports:
                with self.client(port) as client:
                    infos.append(client.cluster("info"))
            if all(
                i["cluster_state"] == "ok" and int(i["cluster_known_nodes"]) == PRIMARIES
                for i in infos
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"cluster did not become ok: {infos}")
            time.sleep(0.1)

    def port_of_key(self, key: str) -> int:
        """The port of the primary that serves ``key``'s hash slot (fixed: no failover)."""
        slot = key_slot(key.encode())
        return next(port for start, end, port in self._slots if start <= slot <= end)

    def subscribers(self, channel: str, ports: Iterable[int] | None = None) -> dict[int, int]:
        """How many connections subscribe to ``channel`` on each node (of ``ports``)."""
        counts = {}
        for port in self.ports if ports is None else ports:
            with self.client(port) as client:
                counts[port] = int(dict(client.pubsub_numsub(channel))[channel])
        return counts

    def delete_prefix(self, prefix: str) -> None:
        """Unlink the keys under ``prefix:`` on every node."""
        for port in self.ports:
            with self.client(port) as client:
                for key in list(client.scan_iter(match=f"{prefix}:*", count=1000)):
                    client.unlink(key)  # one at a time: a multi-key UNLINK must not cross slots

    def stop_node(self, port: int) -> None:
        """Shut one node down (SHUTDOWN NOSAVE); a stopped node stays down."""
        with contextlib.suppress(redis.ConnectionError), self.client(port) as client:
            client.shutdown(nosave=True)  # ConnectionError: it was down already

    def stop(self) -> None:
        for port in self.ports:
            self.stop_node(port)
        shutil.rmtree(self.workdir, ignore_errors=True)
