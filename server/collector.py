"""Garbage collections that stay short however many sockets a worker holds.

A full CPython collection walks every tracked container the process holds; with
18,000 sockets (a few hundred objects each) that stalled a worker for 1.1 to 1.7 s.
Two things keep every collection short here:

* A closed socket leaves no reference cycle (``server/routes/ws.py`` breaks the
  one Sanic leaves), so its objects are freed by reference counting the moment
  it closes and the collector is not needed to find them.
* Every ``period`` seconds :meth:`Collector.settle` collects what the young
  objects left as garbage, then freezes the survivors (``gc.freeze``): they move
  to the permanent generation, which no collection walks. A full collection
  therefore only ever walks what was born since the last settle.

Not guaranteed: an object that was frozen and later becomes garbage *as part of
a reference cycle* is never freed. Long-lived objects must die by reference
counting; the soak test (``tests/server/test_gc_soak.py``) connects and drops
200,000 sockets and shows memory flat. On a running worker, resident memory
that climbs while the socket count holds steady is the sign of such a leak.

The settle's timer doubles as the worker's stall gauge: how late it fires goes into
``loginguard_loop_lag_seconds``.
(``gc.get_freeze_count()`` would say more, but it walks every frozen object: a
200 ms stall at 18,000 sockets, so nothing here calls it.)
"""

from __future__ import annotations

import asyncio
import gc

from server.metrics import Metrics

SETTLE_EVERY = 0.25  # seconds; a settle walks only what was born since the last


class Collector:
    def __init__(self, metrics: Metrics, period: float = SETTLE_EVERY) -> None:
        self._metrics = metrics
        self._period = period

    def start(self) -> None:
        """Freeze everything start-up made (modules, routes, the app): it never dies."""
        self._metrics.watch_gc()
        self.settle()

    def settle(self) -> None:
        gc.collect()  # walks only the unfrozen: what the last period left
        gc.freeze()
        self._metrics.flush_gc()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self._period
            await asyncio.sleep(self._period)
            # How late the loop woke us is how long everything else on it waited.
            self._metrics.loop_lag.observe(max(0.0, loop.time() - due))
            self.settle()
