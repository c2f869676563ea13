"""The stall meter: a process of its own that GETs ``/healthz`` every 10 ms over keep-alive.

It must not share an event loop (or a GIL) with the heavy client: a pause of the
load tool would read as a pause of the server. Plain blocking ``http.client``,
one connection. A request that takes longer than the period delays the next one
(no pile-up); its latency is the stall. Samples are ``(monotonic start, seconds)``.
"""

from __future__ import annotations

import http.client
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

PERIOD = 0.010


def main(port: int, stop: Event, out: Connection) -> None:
    """Process entry point (multiprocessing, spawn): poll until ``stop``, then send samples."""
    samples: list[tuple[float, float]] = []
    errors = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    next_at = time.monotonic()
    while not stop.is_set():
        started = time.monotonic()
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()  # reconnects on the next request
        samples.append((started, time.monotonic() - started))
        next_at = max(next_at + PERIOD, time.monotonic())
        time.sleep(max(0.0, next_at - time.monotonic()))
    conn.close()
    out.send((samples, errors))
