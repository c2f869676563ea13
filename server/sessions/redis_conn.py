"""The Redis engine's plumbing: one client of a server or a cluster, errors, scripts.

A URL ``redis://`` or ``rediss://`` names one server (or a proxy in front of
many). ``redis+cluster://host:port[,host:port...]`` (``rediss+cluster://`` with
TLS) names a Redis Cluster by one or more seed nodes; the rest of the topology
is discovered. Everything else about the URL (user, password, query options)
reads as redis-py reads a plain URL and applies to every node.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from importlib.resources import files
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis import exceptions as rx
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import SSLConnection, parse_url
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.maint_notifications import MaintNotificationsConfig

from server.sessions.records import StoreUnavailable
from server.sessions.redis_nodes import Call as Call  # the engine imports it from here
from server.sessions.redis_nodes import Nodes, load_script, run_per_node
from server.sessions.redis_nodes import unavailable as _unavailable

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

Client = Redis | RedisCluster


@contextmanager
def reachable() -> Iterator[None]:
    """Turn "Redis is unreachable" errors raised inside into :class:`StoreUnavailable`."""
    try:
        yield
    except Exception as exc:
        if _unavailable(exc):
            raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from exc
        raise


class _Reach:
    """``async with`` the client of one server, unreachability mapped as by :func:`reachable`."""

    __slots__ = ("client",)

    def __init__(self, client: Client) -> None:
        self.client = client

    async def __aenter__(self) -> Client:
        return self.client

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None and _unavailable(exc):
            raise StoreUnavailable(f"redis: {exc or type(exc).__name__}") from exc


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme in CLUSTER_SCHEMES


def cluster_seeds(url: str) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """The seed nodes of a cluster URL, and the connection options common to all nodes."""
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    seeds: list[tuple[str, int]] = []
    options: dict[str, Any] = {}
    for host in hosts.split(","):
        netloc = f"{userinfo}{at}{host.strip()}"
        node = urlunsplit((CLUSTER_SCHEMES[parts.scheme], netloc, *parts[2:]))
        options = dict(parse_url(node))
        seeds.append((str(options.pop("host", "127.0.0.1")), int(options.pop("port", 6379))))
    if options.pop("connection_class", None) is SSLConnection:
        options["ssl"] = True
    return seeds, options


class Link:
    """The engine's client of one Redis server or one Redis Cluster.

    At most ``max_connections`` commands are in flight at once; a caller waits up
    to ``timeout`` for its turn, a connect or a reply, so a dead Redis fails a
    call within about ``timeout`` seconds (on a cluster, discovering the topology
    may take that long per seed node). Retries are off because a script whose
    reply was lost must not run twice; a connection that went stale is replaced
    when next used, so a restarted Redis is used again without any retry. A
    cluster's MOVED/ASK redirections are followed: they mean "not run here".

    On a cluster every script call goes through :func:`.redis_nodes.run_per_node`:
    one node that cannot be reached fails the calls of the keys it serves and no
    others (:class:`~.redis_nodes.NodeUnreachable`, a :class:`StoreUnavailable`).

    Maintenance notifications (a Redis Enterprise feature, "auto" by default
    under RESP3) are off: while they are on, redis-py skips that stale-connection
    check, and the first call after a Redis restart fails.
    """

    def __init__(self, url: str, *, max_connections: int, timeout: float) -> None:
        common: dict[str, Any] = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
            "decode_responses": True,
            "maint_notifications_config": MaintNotificationsConfig(enabled=False),
        }
        self._timeout = timeout
        self._turns: asyncio.Semaphore | None = None
        self._nodes: Nodes | None = None
        self._node_options: dict[str, Any] = {}
        self.client: Client
        if is_cluster_url(url):
            seeds, options = cluster_seeds(url)
            self._node_options = {**options, **common}
            self.client = RedisCluster(
                startup_nodes=[ClusterNode(host, port) for host, port in seeds],
                max_connections=max_connections,  # per node
                # A slot whose primary is down fails alone (SlotNotCoveredError);
                # users whose slots are served keep working.
                require_full_coverage=False,
                **self._node_options,
            )
            # The cluster's per-node pools fail at once when exhausted instead of
            # waiting; a call holds at most one connection per node, so this bound
            # keeps every node's pool within max_connections.
            self._turns = asyncio.Semaphore(max_connections)
            self._nodes = Nodes(self.client)
        else:
            pool = BlockingConnectionPool.from_url(
                url, max_connections=max_connections, timeout=timeout, **common
            )
            self.client = Redis.from_pool(pool)

        self.cluster = isinstance(self.client, RedisCluster)
        self._reach = _Reach(self.client)

    def io(self) -> AbstractAsyncContextManager[Client]:
        """The client, for calls that map unreachability to :class:`StoreUnavailable`."""
        if self._turns is None:
            return self._reach  # one server: nothing to wait for, nothing to allocate
        return self._cluster_io(self._turns)

    @asynccontextmanager
    async def _cluster_io(self, turns: asyncio.Semaphore) -> AsyncIterator[Client]:
        try:
            async with asyncio.timeout(self._timeout):
                await turns.acquire()
        except TimeoutError:
            raise StoreUnavailable("redis: no connection available") from None
        try:
            with reachable():
                # Learn the topology first (a no-op once known): redis-py 8.1 picks a
                # command's node before it (re)discovers the topology, and sends a
                # command issued meanwhile to a random primary. A node that failed
                # lately is asked last.
                last_failed = None if self._nodes is None else self._nodes.last_failed
                await self.cluster_client.initialize(last_failed_node_name=last_failed)
                yield self.client
        finally:
            turns.release()

    @property
    def cluster_client(self) -> RedisCluster:
        assert isinstance(self.client, RedisCluster), "not a cluster"
        return self.client

    # -- scripts ------------------------------------------------------------------

    def script(self, name: str, *, lib: bool = True, flags: str = "") -> AsyncScript:
        """Register ``scripts/<name>``, with ``scripts/lib.lua`` prepended unless ``lib=False``.

        A ``#!lua`` first line declares the script flagged (Redis >= 7.0): Redis
        then refuses, on a cluster, a script that touches keys of more than one
        hash slot, declared or not (unflagged scripts are only held to keys of
        the same node), and refuses a writing script whole under OOM rather than
        failing it halfway. ``flags`` (``no-writes,allow-cross-slot-keys``) relax that,
        for a read of one node's keys only.
        """
        scripts = files("server.sessions") / "scripts"
        text = scripts.joinpath(name).read_text(encoding="utf-8")
        if lib:
            text = scripts.joinpath("lib.lua").read_text(encoding="utf-8") + text
        shebang = f"#!lua flags={flags}\n" if flags else "#!lua\n"
        return self.client.register_script(shebang + text)

    async def _load(self, client: Client, script: AsyncScript, keys: Sequence[str]) -> None:
        """SCRIPT LOAD on the node(s) holding ``keys`` only (see :func:`.load_script`)."""
        if isinstance(client, RedisCluster):
            await load_script(client, script, keys)
        else:
            script.sha = await client.script_load(script.script)

    async def run(self, script: AsyncScript, call: Call) -> Any:
        """One EVALSHA (EVAL-free: the script is loaded on NOSCRIPT and called again)."""
        keys, args = call
        async with self.io() as client:
            if isinstance(client, RedisCluster):
                (reply,) = await self._per_node(client, [(script, call)])
                if isinstance(reply, Exception):
                    raise reply
                return reply
            try:
                return await client.evalsha(script.sha, len(keys), *keys, *args)
            except rx.NoScriptError:
                await self._load(client, script, keys[:1])
                return await client.evalsha(script.sha, len(keys), *keys, *args)

    async def run_many(
        self, script: AsyncScript, calls: Sequence[Call], *, partial: bool = False
    ) -> list[Any]:
        """Run an idempotent ``script`` once per call, pipelined; replies in call order.

        One round trip per node holding any of the keys. redis-py's pipeline
        support for scripts asks SCRIPT EXISTS before every execute, a second
        round trip; instead the script is loaded only when Redis answers NOSCRIPT
        (its script cache is empty after a restart) and the whole pipeline runs
        again - which is why only idempotent scripts may come here.

        With ``partial`` on a cluster, the calls of a node that could not be
        reached (or could not serve them now) get a :class:`StoreUnavailable` in
        their place, usually a :class:`~.redis_nodes.NodeUnreachable`, and the
        others their replies; any other error still raises. On one server there is
        nothing partial to answer: an unreachable server raises.
        """
        if not calls:
            return []
        async with self.io() as client:
            if isinstance(client, RedisCluster):
                replies = await self._per_node(client, [(script, call) for call in calls])
                for reply in replies:
                    if isinstance(reply, Exception) and not (
                        partial and isinstance(reply, StoreUnavailable)
                    ):
                        raise reply
                return replies
            for attempt in range(2):
                try:
                    async with client.pipeline(transaction=False) as pipe:
                        for keys, args in calls:
                            # Not pipe.evalsha: cluster pipelines refuse it by name.
                            pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
                        return await pipe.execute()
                except rx.NoScriptError:
                    if attempt:
                        raise
                    await self._load(client, script, [keys[0] for keys, _ in calls])
        raise AssertionError("unreachable")

    async def run_each(
        self, calls: Sequence[tuple[AsyncScript, Call]], *, raise_on_error: bool = True
    ) -> list[Any]:
        """Run different scripts, each once, pipelined in one round trip (per node).

        A call answered NOSCRIPT (the script cache is empty after a restart) did
        not run: its script is loaded and that call alone is sent again, so a
        script that is not idempotent never runs twice. Any other error of a call
        is raised after the others completed, or with ``raise_on_error=False``
        returned in its place, so a caller may treat some calls as best effort (an
        error that means "unreachable" comes back as :class:`StoreUnavailable`; on
        a cluster, as :class:`~.redis_nodes.NodeUnreachable` for the calls of a
        node that could not be reached, while the other nodes' calls complete).
        """
        async with self.io() as client:
            if isinstance(client, RedisCluster):
                replies = await self._per_node(client, calls)
                if raise_on_error:
                    for reply in replies:
                        if isinstance(reply, Exception):
                            raise reply
                return replies
            async with client.pipeline(transaction=False) as pipe:
                for script, (keys, args) in calls:
                    pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
                replies = await pipe.execute(raise_on_error=False)
            for i, reply in enumerate(replies):
                if isinstance(reply, rx.NoScriptError):
                    script, (keys, args) = calls[i]
                    await self._load(client, script, keys[:1])
                    replies[i] = await client.evalsha(script.sha, len(keys), *keys, *args)
            for i, reply in enumerate(replies):
                if isinstance(reply, Exception):
                    if raise_on_error:
                        raise reply
                    if _unavailable(reply):
                        replies[i] = StoreUnavailable(f"redis: {reply}")
            return list(replies)

    async def _per_node(
        self, client: RedisCluster, calls: Sequence[tuple[AsyncScript, Call]]
    ) -> list[Any]:
        assert self._nodes is not None
        return await run_per_node(client, self._nodes, calls)

    # -- nodes ----------------------------------------------------------------------

    def is_down(self, node: str) -> bool:
        """Whether the cluster node named ``node`` failed lately and has not answered since
        (nor left the topology); always False on one server."""
        return self._nodes is not None and self._nodes.is_down(node)

    async def primaries(self) -> list[ClusterNode | None]:
        """Every node that holds keys, in a stable order; ``[None]`` for one server."""
        if not self.cluster:
            return [None]
        async with self.io():
            names = {node.name: node for node in self.cluster_client.get_primaries()}
        return [names[name] for name in sorted(names)]

    async def scan(
        self, node: ClusterNode | None, cursor: int, *, match: str, count: int
    ) -> tuple[int, list[str]]:
        """One SCAN step on ``node`` (from :meth:`primaries`)."""
        async with self.io() as client:
            if node is None:
                position, keys = await client.scan(cursor, match=match, count=count)
                return position, [str(key) for key in keys]
            cursors, keys = await client.execute_command(
                "SCAN", cursor, "MATCH", match, "COUNT", count, target_nodes=node
            )
            return int(cursors[node.name]), list(keys)

    async def ping(self) -> int:
        """How many cluster primaries did not answer (0 on one server); StoreUnavailable
        when nothing answered. Each primary is asked on its own, all at once."""
        async with self.io() as client:
            if not isinstance(client, RedisCluster):
                await client.ping()
                return 0
            primaries = client.get_primaries()
        answers = await asyncio.gather(*(self._ping_node(node) for node in primaries))
        if not any(answers):
            raise StoreUnavailable("redis: no cluster primary answers")
        return answers.count(False)

    async def _ping_node(self, node: ClusterNode) -> bool:
        try:
            async with self.io() as client:
                await client.execute_command("PING", target_nodes=node)
        except StoreUnavailable:
            return False
        return True

    @asynccontextmanager
    async def pubsub(self) -> AsyncIterator[PubSub]:
        """A pub/sub connection of one server, outside the bound on commands in flight
        (a cluster's events are sharded: :mod:`.redis_shards`)."""
        assert not isinstance(self.client, RedisCluster), "one pub/sub per shard on a cluster"
        async with self.client.pubsub(ignore_subscribe_messages=True) as pubsub:
            yield pubsub

    @property
    def node_options(self) -> dict[str, Any]:
        """The connection options of every node of a cluster (for a client of one node)."""
        return dict(self._node_options)

    def node_failed(self, node: ClusterNode, error: BaseException) -> None:
        """A connection of our own to ``node`` failed: learn the topology again soon
        (a replica may be taking over its slots)."""
        if self._nodes is not None:
            self._nodes.failed(node, error)

    async def close(self) -> None:
        await self.client.aclose()
        if isinstance(self.client, RedisCluster):
            # redis-py 8.1's aclose() does nothing while the client is due to
            # rediscover the topology (after any connection error): close the
            # nodes' connections regardless.
            await self.client.nodes_manager.aclose()
            await self.client.nodes_manager.aclose("startup_nodes")
