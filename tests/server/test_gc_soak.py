"""Memory stays flat while sockets come and go by the hundred thousand.

``make test`` churns ``LOGINGUARD_SOAK_SOCKETS`` sockets (default 20,000);
``make soak`` runs the full 200,000. Half close cleanly, half are cut with an
RST as a crashed PC leaves them. Nothing any of them held may stay behind: not
in a cycle frozen out of the collector's reach (``server/collector.py``), not
behind one of Sanic's timers.
"""

from __future__ import annotations

import asyncio
import os
import re

import httpx
import pytest

from tests.support.churn import churn
from tests.support.clients import login
from tests.support.server import ServerProcess

SOCKETS = int(os.environ.get("LOGINGUARD_SOAK_SOCKETS", "20000"))
LANES = 32
ROUNDS = 5


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))  # type: ignore[union-attr]


@pytest.mark.slow
@pytest.mark.serial  # per-socket memory: another test's load beside it skews the figure
@pytest.mark.timeout(1800)
async def test_memory_is_flat_across_socket_churn(start_server: object) -> None:
    """After a warm-up round, churning sockets grows the worker by under 64 bytes a socket."""
    server: ServerProcess = start_server(  # type: ignore[operator]
        "--demo", "--max-sessions", str(LANES), "--ping-interval", "5", "--recheck-interval", "5"
    )
    assert server.proc is not None
    tokens = [login(server, device=f"PC-{i}")["access_token"] for i in range(LANES)]
    per_round = SOCKETS // ROUNDS
    rss = []
    for _ in range(ROUNDS):
        hellos = await churn(server.port, tokens, per_round)
        assert hellos == per_round // LANES * LANES  # every socket was served
        rss.append(_rss_kib(server.proc.pid))
    text = (await asyncio.to_thread(httpx.get, server.url + "/metrics")).text
    assert re.search(r"^loginguard_sockets 0\.0$", text, re.MULTILINE), "sockets left open"
    growth = (rss[-1] - rss[0]) * 1024 / (per_round * (ROUNDS - 1))
    print(f"\nRSS after each round of {per_round} sockets (KiB): {rss}; {growth:.1f} B/socket")
    assert growth < 64, rss
