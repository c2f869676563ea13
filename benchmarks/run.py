"""One run against one server: seed, hold sockets, kick, /me, takeover storm; its figures.

Phases, in order, while the poller meters ``/healthz`` throughout:

1. ``login`` + ``connect``: every seeded account signs in and holds a socket
   (holder processes); then RSS per socket.
2. ``kick``: ``kicks`` logins, one at a time, each of a held account from a new
   device; kick latency = login request written → old socket got ``displaced``;
   server CPU per kick over the phase.
3. ``me`` (LoginGuard only): ``GET /api/auth/me`` on 64 keep-alive connections.
4. ``storm``: every remaining held account signs in from a new device, 64 in flight.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import multiprocessing as mp
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks import holder, poller
from benchmarks.client import Http
from benchmarks.servers import Server, seed, users
from tests.support.server import REDIS_TEST_URL, delete_prefix, new_prefix

PER_HOLDER = 15_000  # sockets per holder process, under its 20,000-descriptor limit
IN_FLIGHT = 64
_ctx = mp.get_context("spawn")


@dataclass(frozen=True)
class Plan:
    sockets: int  # per worker
    workers: int = 1
    kicks: int = 300
    me_seconds: float = 5.0


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Holders:
    """The holder processes for ``names``, driven in lockstep."""

    def __init__(self, port: int, names: list[str]) -> None:
        self.pipes = []
        self.procs = []
        for n, start in enumerate(range(0, len(names), PER_HOLDER)):
            ours, theirs = _ctx.Pipe()
            first_source = 2 + n * (PER_HOLDER // holder.PER_SOURCE + 1)
            args = (theirs, port, names[start : start + PER_HOLDER], first_source)
            proc = _ctx.Process(target=holder.main, args=args, daemon=True)
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)

    async def ask(self, command: str) -> list[Any]:
        for pipe in self.pipes:
            pipe.send(command)
        return await asyncio.gather(*(asyncio.to_thread(p.recv) for p in self.pipes))

    async def close(self) -> None:
        await self.ask("close")
        for proc in self.procs:
            proc.join(30)


async def _lanes(names: list[str], port: int, work: Any) -> None:
    queue = list(reversed(names))

    async def lane() -> None:
        http = Http(port)
        while queue:
            await work(http, queue.pop())
        http.close()

    await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))


async def _me(port: int, tokens: list[str], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    ends = time.monotonic() + seconds
    errors: Counter[str] = Counter()

    async def lane(i: int) -> None:
        http = Http(port)
        while time.monotonic() < ends:
            started = time.monotonic()
            status, _ = await http.request("GET", "/api/auth/me", token=tokens[i % len(tokens)])
            latencies.append(time.monotonic() - started)
            if status != 200:
                errors[f"HTTP {status}"] += 1
        http.close()

    started = time.monotonic()
    await asyncio.gather(*(lane(i) for i in range(IN_FLIGHT)))
    return {
        "rps": len(latencies) / (time.monotonic() - started),
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "errors": dict(errors),
    }


def _gc(server: Server) -> dict[str, float | None]:
    """Full collections: count, mean and worst pause (LoginGuard: its histogram's bound)."""
    if server.kind == "baseline":
        data = httpx.get(server.url + "/gc", timeout=30).json()
        mean = data["total"] / data["count"] if data["count"] else 0.0
        over = data["over_50ms"]
        return {"count": data["count"], "mean": mean, "max": data["max"], "over_50ms": over}
    text = httpx.get(server.url + "/metrics", timeout=60).text
    gen2 = r'loginguard_gc_pause_seconds_{}\{{generation="2"\}} (\S+)'
    count = sum(float(v) for v in re.findall(gen2.format("count"), text))
    total = sum(float(v) for v in re.findall(gen2.format("sum"), text))
    bucket = r'loginguard_gc_pause_seconds_bucket\{generation="2",le="([^"]+)"\} (\S+)'
    cumulative: dict[float, float] = {}
    for le, value in re.findall(bucket, text):  # summed over workers
        cumulative[float(le)] = cumulative.get(float(le), 0.0) + float(value)
    # The upper bound of the bucket holding the worst pause; None past the last bound.
    worst = min((le for le, n in cumulative.items() if count and n >= count), default=0.0)
    over = count - cumulative.get(0.05, 0.0)
    mean = total / count if count else 0.0
    return {"count": count, "mean": mean, "max": None if worst == math.inf else worst} | {
        "over_50ms": over
    }


async def run(kind: str, plan: Plan, log: Any = print) -> dict[str, Any]:
    """One run of ``kind`` ("baseline" or "loginguard"); every figure, raw enough to plot."""
    prefix = new_prefix()
    total = plan.sockets * plan.workers
    names = users(total)
    seed_seconds = seed(prefix, total)
    server = Server(kind, prefix, plan.workers).start()
    stop, (samples_in, samples_out) = _ctx.Event(), _ctx.Pipe(duplex=False)
    meter = _ctx.Process(target=poller.main, args=(server.port, stop, samples_out), daemon=True)
    meter.start()
    marks: dict[str, float] = {"start": time.monotonic()}
    holders = Holders(server.port, names)
    failures: Counter[str] = Counter()  # of logins and connects, by cause
    refused: Counter[str] = Counter()  # kick and takeover logins that were not admitted
    finished = False
    try:
        rss_before = server.rss()
        marks["login"] = time.monotonic()
        failures += sum(await holders.ask("login"), Counter())
        marks["connect"] = time.monotonic()
        failures += sum(await holders.ask("connect"), Counter())
        held = total - failures.total()
        log(f"  {kind}: {held} sockets held; failures: {dict(failures) or 'none'}")
        await asyncio.sleep(2)
        rss_per_socket = (server.rss() - rss_before) / max(1, held)

        victims = random.Random(7).sample(names, min(plan.kicks, total))
        sent: dict[str, float] = {}
        tokens: list[str] = []
        http = Http(server.port)
        marks["kick"] = time.monotonic()
        cpu_before = server.cpu()
        for user in victims:
            sent[user] = time.monotonic()
            status, body = await http.login(user, f"kick-{user}")
            if status == 200:
                tokens.append(body["access_token"])
            else:  # refused: no push is due
                refused[f"kick: HTTP {status}"] += 1
                del sent[user]
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.5)  # the last push lands
        cpu_per_kick = (server.cpu() - cpu_before) / max(1, len(victims))
        http.close()

        me = None
        if kind == "loginguard" and tokens:
            marks["me"] = time.monotonic()
            me = await _me(server.port, tokens, plan.me_seconds)

        storm_users = [u for u in names if u not in sent]
        storm_sent: dict[str, float] = {}

        async def takeover(client: Http, user: str) -> None:
            storm_sent[user] = time.monotonic()
            status, _ = await client.login(user, f"storm-{user}")
            if status != 200:  # refused: no push is due
                refused[f"storm: HTTP {status}"] += 1
                del storm_sent[user]

        marks["storm"] = time.monotonic()
        await _lanes(storm_users, server.port, takeover)
        storm_seconds = time.monotonic() - marks["storm"]
        await asyncio.sleep(1)
        marks["end"] = time.monotonic()
        gc = _gc(server)
        got: dict[str, tuple[float | None, str | None, int | None]] = {}
        for part in await holders.ask("report"):
            got.update(part)
        finished = True
    finally:
        stop.set()
        samples, poll_errors = samples_in.recv()
        meter.join(10)
        await holders.close()
        trouble = bool(failures) or not finished
        server.stop(keep_log=trouble)
        if trouble:
            log(f"  {kind}: failures; server log kept in {server.log}")
        delete_prefix(REDIS_TEST_URL, prefix)

    def pushes(sent_at: dict[str, float]) -> tuple[list[float], int, dict[str, int]]:
        """Latencies of the ``displaced`` pushes (then 4001) that arrived; how many were
        due; what the sockets that missed theirs got instead ("message/close code")."""
        lat, due, missed = [], 0, Counter[str]()
        for user, at in sent_at.items():
            if user not in got:
                continue  # no socket held: nothing to push to
            due += 1
            t, message, code = got[user]
            if t is not None and message == "displaced" and code == 4001:
                lat.append(t - at)
            else:
                missed[f"{message}/{code}"] += 1
        return lat, due, dict(missed)

    kick_lat, kicks_due, kicks_missed = pushes(sent)
    storm_lat, storm_due, storm_missed = pushes(storm_sent)
    worst = max(samples, key=lambda s: s[1], default=(marks["start"], 0.0))
    return {
        "server": kind,
        "workers": plan.workers,
        "sockets": held,
        "failures": dict(failures),
        "seed_seconds": seed_seconds,
        "rss_per_socket": rss_per_socket,
        "kicks": len(victims),
        "kicks_due": kicks_due,
        "kicks_delivered": len(kick_lat),
        "kicks_missed": kicks_missed,
        "kick_p50": pct(kick_lat, 0.5),
        "kick_p99": pct(kick_lat, 0.99),
        "kick_latencies": sorted(kick_lat),
        "cpu_per_kick": cpu_per_kick,
        "gc_full_count": gc["count"],
        "gc_full_mean": gc["mean"],
        "gc_full_max": gc["max"],
        "gc_full_over_50ms": gc["over_50ms"],
        "me": me,
        "storm_logins": len(storm_users),
        "refused": dict(refused),
        "storm_due": storm_due,
        "storm_delivered": len(storm_lat),
        "storm_missed": storm_missed,
        "storm_logins_per_s": len(storm_users) / storm_seconds if storm_seconds else None,
        "storm_push_p50": pct(storm_lat, 0.5),
        "storm_push_p99": pct(storm_lat, 0.99),
        "healthz_worst": worst[1],
        "healthz_worst_at": worst[0] - marks["start"],
        "healthz_polls": len(samples),
        "healthz_errors": poll_errors,
        "healthz_worst_by_phase": _worst_by_phase(samples, marks),
        "phases": {name: at - marks["start"] for name, at in marks.items()},
        "timeline": _timeline(samples, marks["start"]),
    }


def _worst_by_phase(
    samples: list[tuple[float, float]], marks: dict[str, float]
) -> dict[str, float]:
    """The worst /healthz latency while each phase ran (a phase lasts until the next mark)."""
    bounds = sorted(marks.items(), key=lambda mark: mark[1])
    worst: dict[str, float] = {}
    for (name, begins), (_, ends) in itertools.pairwise(bounds):
        inside = [lat for at, lat in samples if begins <= at < ends]
        worst[name] = max(inside, default=0.0)
    return worst


def _timeline(samples: list[tuple[float, float]], start: float) -> list[tuple[float, float]]:
    """The worst /healthz latency per 100 ms, as (seconds since start, seconds)."""
    buckets: dict[int, float] = {}
    for at, latency in samples:
        slot = int((at - start) * 10)
        buckets[slot] = max(buckets.get(slot, 0.0), latency)
    return [(slot / 10, round(lat, 5)) for slot, lat in sorted(buckets.items())]
