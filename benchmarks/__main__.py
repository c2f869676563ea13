"""python -m benchmarks (make bench): LoginGuard against a bare-Sanic baseline, alternating.

Environment: ``BENCH_SOCKETS`` sockets per worker (default 8000; 18000 for the full
run), ``BENCH_WORKERS`` (default 1; 2 checks 2 x 18,000 sockets per node),
``BENCH_KICKS`` (300), ``BENCH_RUNS`` runs of each server (2), ``BENCH_OUT``
results folder (default ``benchmarks/results``). Both servers: Redis store (the
tests' DB, a fresh key prefix per run), cheap test hashing, loopback only.

Prints a table of figures with their LoginGuard/baseline ratios and writes
``<date>.json`` and ``<date>.png`` (kick latency CDF, stall timeline). Shared
machines are noisy: read the ratios, and the range over runs.
"""

from __future__ import annotations

import asyncio
import os
import resource
from pathlib import Path

from benchmarks import report
from benchmarks.run import Plan, run


def _env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def main() -> None:
    plan = Plan(
        sockets=_env("BENCH_SOCKETS", 8000),
        workers=_env("BENCH_WORKERS", 1),
        kicks=_env("BENCH_KICKS", 300),
    )
    runs = _env("BENCH_RUNS", 2)
    out = Path(os.environ.get("BENCH_OUT", report.RESULTS))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    facts = report.machine()
    print(
        f"bench: {plan.sockets} sockets x {plan.workers} worker(s), {plan.kicks} kicks, "
        f"{runs} runs each, {facts['cores']} cores {facts['cpu']}, {facts['date']}",
        flush=True,
    )
    results = []
    for n in range(runs):
        for kind in report.SERVERS:
            print(f"run {n + 1}/{runs}: {kind}", flush=True)
            result = asyncio.run(run(kind, plan, log=lambda line: print(line, flush=True)))
            results.append(result)
            missed = result["kicks_missed"] | result["storm_missed"]
            if missed:
                print(f"  {kind}: pushes missed, what those sockets got: {missed}", flush=True)
            if result["refused"]:
                print(f"  {kind}: logins refused: {result['refused']}", flush=True)
    print(report.table(report.summary(results)))
    config = {"sockets_per_worker": plan.sockets, "workers": plan.workers, "kicks": plan.kicks}
    json_path, png_path = report.save(results, config | {"runs_each": runs}, out)
    print(f"wrote {json_path} and {png_path}")


if __name__ == "__main__":
    main()
