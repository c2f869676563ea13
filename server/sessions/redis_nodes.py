"""A Redis Cluster's nodes: script calls spread over them, and which cannot be reached.

A cluster pipeline fails whole when one node it touches is down (redis-py gathers
its per-node pipelines and raises the first error), so :func:`run_per_node` sends
calls its own way: grouped by the node that serves each call's first key, one
pipeline per node straight to that node, all of them at once - one round trip of
wall time and at most one connection per node. A node that cannot be reached fails
its own calls only: each gets a :class:`NodeUnreachable` in its place, the others
their replies. A call whose slot moved (MOVED, ASK) is sent again through the
cluster client, which follows the redirection and learns the slot's new node.

:class:`Nodes` remembers which nodes failed, to log each outage once
(``store_node_unreachable``, then ``store_node_back`` when the node answers again
or ``store_node_replaced`` once the topology no longer has it: a replica took over
its slots), and has the topology learned again after a failure, at most every
half second. redis-py does that itself after a failed command but not after a
failed pipeline, and without it the slots of a promoted replica would be sent to
its dead primary forever.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from redis import exceptions as rx
from redis.asyncio.cluster import ClusterNode, PipelineCommand, RedisCluster
from redis.commands.core import AsyncScript
from redis.typing import EncodableT

from server.sessions.records import StoreUnavailable

log = logging.getLogger("loginguard.store")

#: Errors meaning "Redis is not there (or not writable) right now" → 503, retry later.
UNAVAILABLE: tuple[type[Exception], ...] = (
    rx.ConnectionError,  # includes BusyLoadingError and the pool's "No connection available"
    rx.TimeoutError,
    rx.ReadOnlyError,  # a replica after failover
    rx.ClusterDownError,  # includes MASTERDOWN
    rx.SlotNotCoveredError,  # a cluster slot whose primary is gone
    rx.OutOfMemoryError,
    OSError,  # includes the builtin TimeoutError
)

Call = tuple[list[str], list[EncodableT]]  # KEYS and ARGV of one script call
_REFRESH_EVERY = 0.5  # seconds: the least time between two topology refreshes a failure asks for


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the store (or the node that raised it) cannot be reached now."""
    if isinstance(exc, UNAVAILABLE):
        return True
    # The cluster client wraps "no seed node answered" in an exception of its own.
    return isinstance(exc, rx.RedisClusterException) and isinstance(exc.__cause__, UNAVAILABLE)


class NodeUnreachable(StoreUnavailable):
    """One node of a cluster could not be reached (``node``: its name, empty when no node
    serves the slot); the other nodes may well answer."""

    def __init__(self, node: str, error: BaseException) -> None:
        super().__init__(f"redis: node {node or '(none)'}: {error or type(error).__name__}")
        self.node = node


class Nodes:
    """Which nodes of one cluster client failed, and since when (monotonic seconds)."""

    def __init__(self, client: RedisCluster) -> None:
        self._client = client
        self._down: dict[str, float] = {}
        self._refresh_after = 0.0
        self.last_failed: str | None = None  # tried last when the topology is learned again

    def is_down(self, name: str) -> bool:
        """Whether ``name`` failed and has neither answered since nor left the topology."""
        self._forget_replaced()
        return name in self._down

    def failed(self, node: ClusterNode | None, error: BaseException) -> NodeUnreachable:
        """Note that ``node`` (None: no node serves the slot) could not be reached."""
        name = "" if node is None else node.name
        now = time.monotonic()
        if name and name not in self._down:
            self._down[name] = now
            log.warning("event=store_node_unreachable node=%s error=%r", name, error)
        if now >= self._refresh_after:
            self._refresh_after = now + _REFRESH_EVERY
            if name:
                self.last_failed = name
                self._client.nodes_manager.move_node_to_end_of_cached_nodes(name)
            # What redis-py's own command path does after a connection error: the
            # next call learns the topology before it picks a node.
            self._client._initialize = True
        return NodeUnreachable(name, error)

    def answered(self, name: str) -> None:
        if self._down:
            since = self._down.pop(name, None)
            if since is not None:
                log.info("event=store_node_back node=%s after=%.1fs", name, _since(since))
            self._forget_replaced()

    def _forget_replaced(self) -> None:
        gone = [name for name in self._down if self._client.get_node(node_name=name) is None]
        for name in gone:
            since = self._down.pop(name)
            log.info("event=store_node_replaced node=%s after=%.1fs", name, _since(since))


def _since(moment: float) -> float:
    return time.monotonic() - moment


async def load_script(client: RedisCluster, script: AsyncScript, keys: Sequence[str]) -> None:
    """SCRIPT LOAD on the node(s) serving ``keys`` only (redis-py's own load goes to
    every primary, so one dead primary would make a script unusable on the others)."""
    nodes = {n.name: n for n in map(client.get_node_from_key, keys) if n is not None}
    for node in nodes.values():
        script.sha = await client.execute_command("SCRIPT LOAD", script.script, target_nodes=node)


async def run_per_node(
    client: RedisCluster, nodes: Nodes, calls: Sequence[tuple[AsyncScript, Call]]
) -> list[Any]:
    """Each call's reply, or the error it met, in call order: one pipeline per node.

    A call answered NOSCRIPT (the node's script cache is empty after a restart or
    a failover) did not run: its script is loaded there and that call alone is
    sent again, so a script that is not idempotent never runs twice. An error
    meaning the node cannot be reached comes back as :class:`NodeUnreachable`
    for every call of that node; one meaning the call cannot be served now though
    the node is there (this process out of connections, the node out of memory)
    as a plain :class:`StoreUnavailable`; other errors as they are.
    """
    replies: list[Any] = [None] * len(calls)
    groups: dict[str, tuple[ClusterNode, list[int]]] = {}
    for i, (_, (keys, _)) in enumerate(calls):
        try:
            node = client.get_node_from_key(keys[0])
        except rx.SlotNotCoveredError as exc:
            replies[i] = nodes.failed(None, exc)
            continue
        assert node is not None  # only a replica may be missing
        groups.setdefault(node.name, (node, []))[1].append(i)
    sent = [_on_node(client, node, [calls[i] for i in held]) for node, held in groups.values()]
    results: list[list[Any] | BaseException]
    if len(sent) == 1:  # the usual case: no task to spawn
        try:
            results = [await sent[0]]
        except Exception as exc:
            results = [exc]
    else:
        results = await asyncio.gather(*sent, return_exceptions=True)
    for (node, held), result in zip(groups.values(), results, strict=True):
        if isinstance(result, Exception):
            for i in held:
                replies[i] = _failure(nodes, node, result)
        elif isinstance(result, BaseException):
            raise result  # cancelled
        else:
            for i, reply in zip(held, result, strict=True):
                replies[i] = _failure(nodes, node, reply) if isinstance(reply, Exception) else reply
        if not any(isinstance(replies[i], NodeUnreachable) for i in held):
            nodes.answered(node.name)
    return replies


def _failure(nodes: Nodes, node: ClusterNode, error: Exception) -> Exception:
    """What a call that met ``error`` on ``node`` gets in its place."""
    if isinstance(error, rx.MaxConnectionsError | rx.OutOfMemoryError):
        # This process ran out of connections, or the node refuses writes for lack of
        # memory: the node is there, the call fails closed, and that is all.
        return StoreUnavailable(f"redis: {error}")
    return nodes.failed(node, error) if unavailable(error) else error


async def _on_node(
    client: RedisCluster, node: ClusterNode, calls: Sequence[tuple[AsyncScript, Call]]
) -> list[Any]:
    """The calls' replies or errors, sent to ``node`` as one pipeline. Raises when the
    node cannot be reached at all."""
    commands = [
        PipelineCommand(i, "EVALSHA", script.sha, len(keys), *keys, *args)
        for i, (script, (keys, args)) in enumerate(calls)
    ]
    # Straight to the node: ClusterPipeline does the same at a third more CPU per call.
    if len(commands) == 1:
        (command,) = commands
        try:
            command.result = await node.execute_command(*command.args)
        except rx.ResponseError as exc:  # an answer (the node is there), not a failure
            command.result = exc
    else:
        await node.execute_pipeline(commands)
    replies = []
    for (script, call), command in zip(calls, commands, strict=True):
        reply = command.result
        if isinstance(reply, rx.NoScriptError):
            reply = await _again(client, script, call, load=True)
        elif isinstance(reply, rx.MovedError | rx.AskError | rx.TryAgainError):
            reply = await _again(client, script, call, load=False)
        replies.append(reply)
    return replies


async def _again(client: RedisCluster, script: AsyncScript, call: Call, *, load: bool) -> Any:
    """Send ``call`` again through the cluster client (which follows redirections), after
    loading ``script`` where it goes if ``load``; its reply or error."""
    keys, args = call
    try:
        for attempt in range(2):
            if load:
                await load_script(client, script, keys[:1])
            try:
                return await client.evalsha(script.sha, len(keys), *keys, *args)
            except rx.NoScriptError:  # the slot's new node had not loaded it
                if attempt:
                    raise
                load = True
    except Exception as exc:
        return exc
    raise AssertionError("unreachable")
