"""Walking the Redis engine's keyspace with SCAN: one server, or every cluster primary.

A SCAN cursor belongs to one node, so a walk visits the primaries one after the
other (in the stable order of :meth:`Link.primaries`) and its cursor names both:
``"<node>:<cursor>"``; ``"0"`` starts a walk and ends it. A cursor is stateless
and may be resumed by any process. Not guaranteed: if the cluster's primaries
change during a walk (failover, resharding), a key may be missed or repeated.
"""

from __future__ import annotations

from server.sessions.redis_conn import Link

DONE = "0"


def validate(cursor: str) -> None:
    """Raise ValueError unless ``cursor`` has the form of a cursor (the node may not exist)."""
    _parse(cursor, nodes=None)


def _parse(cursor: str, nodes: int | None) -> tuple[int, int]:
    if cursor == DONE:
        return 0, 0
    node, sep, position = cursor.partition(":")
    if (
        sep
        and _digits(node, 5)
        and _digits(position, 20)
        and int(position) < 2**64  # a SCAN cursor is an unsigned 64-bit number
        and (nodes is None or int(node) < nodes)
    ):
        return int(node), int(position)
    raise ValueError(f"bad cursor {cursor!r}")


def _digits(text: str, most: int) -> bool:
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


async def step(link: Link, cursor: str, *, match: str, count: int) -> tuple[str, list[str]]:
    """One step of a walk: the next cursor (``"0"`` when done) and the keys found.

    A step is one SCAN call on a node and, while that node is done and fewer than
    ``count`` keys were found, one more on the next node: at most one call per
    node, so a step's cost is bounded however sparse the matches. Like SCAN, a
    step may find fewer than ``count`` keys, or none, before the walk is done.
    Raises ValueError for a cursor this module did not issue.
    """
    primaries = await link.primaries()
    index, position = _parse(cursor, nodes=len(primaries))
    found: list[str] = []
    while True:
        position, keys = await link.scan(primaries[index], position, match=match, count=count)
        found += keys
        if position:
            return f"{index}:{position}", found
        index += 1
        if index == len(primaries):
            return DONE, found
        if len(found) >= count:
            return f"{index}:0", found


async def every(link: Link, *, match: str, count: int) -> list[str]:
    """Every key matching ``match``, once each, by a whole walk."""
    found: dict[str, None] = {}  # SCAN may return a key twice
    cursor = DONE
    while True:
        cursor, keys = await step(link, cursor, match=match, count=count)
        found.update(dict.fromkeys(keys))
        if cursor == DONE:
            return list(found)
