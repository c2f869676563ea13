"""A private three-primary Redis Cluster on free loopback ports, with or without replicas.

Each node gets a free client port and a free cluster-bus port (``--cluster-port``,
so ``port + 10000`` need not be free), runs daemonized with no persistence in a
temporary directory, and is shut down with ``SHUTDOWN NOSAVE``. With ``replicas=1``
every primary has a replica, and :meth:`RedisCluster.kill` then
:meth:`RedisCluster.wait_promoted` is a failover: the primary dies (SIGKILL, as a
crash) and its replica takes its slots once ``cluster-node-timeout`` has passed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from argon2 import PasswordHasher
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

from server.sessions.factory import redis_stores
from server.sessions.keys import Keys
from server.sessions.records import Account
from tests.support.server import free_port, timeout

PRIMARIES = 3


@dataclass
class RedisCluster:
    """:meth:`start` it, point a store or a server at :attr:`url`, :meth:`stop` it."""

    options: tuple[str, ...] = ()  # extra redis-server flags for every node
    replicas: int = 0  # replicas per primary
    ports: list[int] = field(default_factory=list)  # the primaries first, as created
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

    @property
    def nodes(self) -> int:
        return PRIMARIES * (1 + self.replicas)

    def start(self) -> RedisCluster:
        try:
            for _ in range(self.nodes):
                self.ports.append(self._start_node())
            subprocess.run(
                [
                    "redis-cli",
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{p}" for p in self.ports),
                    "--cluster-replicas",
                    str(self.replicas),
                    "--cluster-yes",
                ],
                check=True,
                capture_output=True,
                timeout=timeout(30),
            )
            self._wait_until_ok()
            self._slots = self._slots_of(self.ports[0])
            if self.replicas:
                self._wait_until_replicated()
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
                # A replica's first sync starts at once, not after the default 5 s.
                *("--repl-diskless-sync-delay", "0"),
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
        """Every node says ``cluster_state:ok`` and knows every node."""
        deadline = time.monotonic() + timeout(30)
        while True:
            infos = []
            for port in self.ports:
                with self.client(port) as client:
                    infos.append(client.cluster("info"))
            if all(
                i["cluster_state"] == "ok" and int(i["cluster_known_nodes"]) == self.nodes
                for i in infos
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"cluster did not become ok: {infos}")
            time.sleep(0.1)

    def _wait_until_replicated(self) -> None:
        """Every replica's link to its primary is up, its first sync is done, and every
        node knows it for a replica (a primary refuses its vote to a node it takes for a
        primary, so a failover needs that)."""
        deadline = time.monotonic() + timeout(30)
        replicas = [port for port in self.ports if port not in self.primaries()]
        while True:
            infos = []
            for port in replicas:
                with self.client(port) as client:
                    infos.append(client.info("replication"))
            views = []
            for port in self.ports:
                with self.client(port) as client:
                    lines = str(client.execute_command("CLUSTER", "NODES")).splitlines()
                # <id> <host:port@bus> <flags,...> ...
                views.append(sum("slave" in line.split()[2].split(",") for line in lines))
            if set(views) == {len(replicas)} and all(
                i.get("master_link_status") == "up" and not i.get("master_sync_in_progress")
                for i in infos
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"replicas did not sync: {infos}")
            time.sleep(0.1)

    def _slots_of(self, port: int) -> list[tuple[int, int, int]]:
        """The slot ranges and the port of each one's primary, as ``port`` sees them now."""
        with self.client(port) as client:
            ranges = client.execute_command("CLUSTER", "SLOTS")
        return sorted((start, end, int(primary[1])) for start, end, primary, *_ in ranges)

    def primaries(self) -> list[int]:
        """The ports of the primaries as created (fixed: see :meth:`wait_promoted`)."""
        return sorted({port for _, _, port in self._slots})

    def port_of_key(self, key: str) -> int:
        """The port of the primary that served ``key``'s hash slot when the cluster started."""
        slot = key_slot(key.encode())
        return next(port for start, end, port in self._slots if start <= slot <= end)

    def user_on(self, prefix: str, port: int, avoid: Iterable[str] = ()) -> str:
        """A username ("user<i>") whose keys under ``prefix`` the primary on ``port`` serves."""
        index = Keys(prefix).index
        for i in range(10_000):
            user = f"user{i}"
            if user not in avoid and self.port_of_key(index(user)) == port:
                return user
        raise AssertionError(f"no user on {port}")

    def users_on(self, prefix: str, port: int, n: int) -> list[str]:
        """``n`` different usernames whose keys the primary on ``port`` serves."""
        users: list[str] = []
        for _ in range(n):
            users.append(self.user_on(prefix, port, avoid=users))
        return users

    async def add_accounts(self, prefix: str, users: list[str], password: str) -> None:
        """Accounts ``users`` with ``password`` (hashed cheaply) under ``prefix``."""
        hashed = PasswordHasher(time_cost=1, memory_cost=1024).hash(password)
        stores = redis_stores(self.url, prefix=prefix)
        try:
            await stores.accounts.put_many([Account(u, hashed) for u in users], replace=True)
        finally:
            await stores.close()

    def wait_replicated(self, primary: int) -> None:
        """Return once ``primary``'s replica has every write so far (WAIT), so a failover
        loses none of them."""
        with self.client(primary) as client:
            acked = int(client.execute_command("WAIT", self.replicas, int(timeout(5) * 1000)))
        if acked < self.replicas:
            raise RuntimeError(f"{primary}: {acked} of {self.replicas} replicas caught up")

    def kill(self, port: int) -> None:
        """SIGKILL one node, as a crash: no goodbye to its clients or to the cluster."""
        with self.client(port) as client:
            pid = int(client.info("server")["process_id"])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout(10)
        while True:
            try:
                with self.client(port) as client:
                    client.ping()
            except redis.ConnectionError:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"node {port} did not die")
            time.sleep(0.02)

    def replica_of(self, primary: int) -> int:
        """The port of ``primary``'s replica (with ``replicas=1``)."""
        for port in self.ports:
            if port not in self.primaries():
                with self.client(port) as client:
                    if int(client.info("replication")["master_port"]) == primary:
                        return port
        raise LookupError(f"no replica of {primary}")

    def hold_failover(self, replica: int, *, held: bool = True) -> None:
        """Keep ``replica`` from taking over from a failed primary (``held=False``: let it)."""
        with self.client(replica) as client:
            client.config_set("cluster-replica-no-failover", "yes" if held else "no")

    def wait_promoted(self, dead: int, wait: float = 30.0) -> int:
        """Wait until a replica serves the slots of the ``dead`` primary, as every live
        node sees it, and the cluster is ok; return the new primary's port."""
        alive = [port for port in self.ports if port != dead]
        deadline = time.monotonic() + timeout(wait)
        while True:
            views = [self._slots_of(port) for port in alive]
            states = []
            for port in alive:
                with self.client(port) as client:
                    states.append(client.cluster("info")["cluster_state"])
            served = {port for view in views for _, _, port in view}
            if dead not in served and all(v == views[0] for v in views) and set(states) == {"ok"}:
                (new,) = served - set(self.primaries())
                return new
            if time.monotonic() > deadline:
                raise RuntimeError(f"no replica took over from {dead}: {views} {states}")
            time.sleep(0.05)

    def subscribers(self, channel: str, ports: Iterable[int] | None = None) -> dict[int, int]:
        """How many connections subscribe to ``channel`` on each node (of ``ports``)."""
        counts = {}
        for port in self.ports if ports is None else ports:
            with self.client(port) as client:
                counts[port] = int(dict(client.pubsub_numsub(channel))[channel])
        return counts

    def shard_subscribers(self, channel: str, ports: Iterable[int] | None = None) -> dict[int, int]:
        """How many connections subscribe to the sharded ``channel`` on each node (of
        ``ports``; a node that does not serve its slot says 0)."""
        counts = {}
        for port in self.ports if ports is None else ports:
            with self.client(port) as client:
                reply = client.execute_command("PUBSUB", "SHARDNUMSUB", channel)
                counts[port] = int(dict(zip(reply[::2], reply[1::2], strict=True))[channel])
        return counts

    def drop_subscribers(self, ports: Iterable[int]) -> None:
        """Close every pub/sub connection on the nodes of ``ports`` (CLIENT KILL TYPE pubsub)."""
        for port in ports:
            with self.client(port) as client:
                client.client_kill_filter(_type="pubsub")

    def delete_prefix(self, prefix: str) -> None:
        """Unlink the keys under ``prefix:`` on every primary."""
        for port in self.primaries():
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
