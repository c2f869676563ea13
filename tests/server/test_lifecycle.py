"""A server's processes over their life: a worker that dies is replaced, one that keeps
dying ends the server, and a stop signal at any moment ends every process in time, with
1001 to every socket and no traceback (docs/deploy.md, "Process life")."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support import procs
from tests.support.churn import close_code, hold
from tests.support.clients import login
from tests.support.redis_proc import RedisProcess
from tests.support.server import ServerProcess, login_body, new_prefix, timeout

STOP_WITHIN = 10.0  # seconds from a stop signal until no process of the server is left
NOISE = (
    *("Traceback", "KeyboardInterrupt", "Event loop stopped", "Experienced exception"),
    *("event=stop_loop_stuck", "event=loop_failed"),
)
SOCKETS = 200


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private redis-server for this module's servers, each on a prefix of its own."""
    proc = RedisProcess().start()
    yield proc.url
    proc.stop(save=False)
    shutil.rmtree(proc.workdir, ignore_errors=True)


@pytest.fixture
def servers(redis_url: str) -> Iterator[Callable[[int], ServerProcess]]:
    """Make (not start) servers of N workers; afterwards whatever is left of them is killed."""
    made: list[ServerProcess] = []

    def make(workers: int) -> ServerProcess:
        args = ["--demo", "--max-sessions", "1000", "--ping-interval", "600"]
        if workers > 1:
            args += ["--workers", str(workers), "--redis-url", redis_url]
            args += ["--redis-prefix", new_prefix()]
        made.append(ServerProcess(args))
        return made[-1]

    yield make
    for server in made:
        if server.proc is not None:
            for sig in (signal.SIGCONT, signal.SIGKILL):  # a stopped worker too
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.proc.pid, sig)
            server.proc.wait()


async def until(check: Callable[[], bool], wait: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout(wait)
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        await asyncio.sleep(0.05)


def main_pid(server: ServerProcess) -> int:
    assert server.proc is not None
    return server.proc.pid


def both_workers_up(server: ServerProcess) -> set[int]:
    """The two workers' pids once both serve (/healthz may answer before the second does)."""
    server.log_with("event=start ", wait=30, times=2)
    pids = procs.workers(main_pid(server))
    assert len(pids) == 2, pids
    return pids


def ended(server: ServerProcess, watch: procs.TreeWatch, since: float) -> int:
    """The main process's exit code, once it and every process it started have ended."""
    assert server.proc is not None
    code = server.proc.wait(timeout(STOP_WITHIN) - (time.monotonic() - since))
    seen = watch.stop()
    deadline = since + timeout(STOP_WITHIN)
    while (left := procs.running(seen)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"still running after {STOP_WITHIN} s: {left}"
    return code


def quiet(log: str) -> None:
    noise = [line for line in log.splitlines() if any(word in line for word in NOISE)]
    assert not noise, log


def metric(server: ServerProcess, name: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    found = re.search(rf"^loginguard_{name} (\S+)$", text, re.MULTILINE)
    assert found, text
    return float(found.group(1))


async def logins(server: ServerProcess, count: int) -> list[str]:
    """``count`` sessions of user1, on one client (one per login costs more than the login).

    At most 8 at a time: attempts in flight hold the account's failure budget (10).
    """
    lanes = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=server.url, timeout=timeout(30)) as client:

        async def one(i: int) -> str:
            async with lanes:
                r = await client.post("/api/auth/login", json=login_body("user1", f"PC-{i}"))
            assert r.status_code == 200, r.text
            return str(r.json()["access_token"])

        return list(await asyncio.gather(*(one(i) for i in range(count))))


# -- Worker deaths ---------------------------------------------------------------------


async def test_a_killed_worker_is_logged_and_replaced_by_one_that_serves(
    servers: Callable[[int], ServerProcess],
) -> None:
    """kill -9 of a worker logs and counts its death, drops its sockets from /metrics and a
    new worker takes its place: with the other worker stopped, the new one serves alone."""
    server = servers(2).start()
    pids = await asyncio.to_thread(both_workers_up, server)
    held = [await hold(server.port, token) for token in await logins(server, 24)]
    cut = [asyncio.ensure_future(reader.read(1)) for reader, _ in held]  # done: closed
    # The worker holding more sockets dies, so that its count must leave /metrics.
    victim = max(pids, key=lambda pid: procs.held_connections(pid, server.port))
    survivor = (pids - {victim}).pop()
    os.kill(victim, signal.SIGKILL)

    log = await asyncio.to_thread(server.log_with, "event=worker_replaced", 30)
    died = rf"ERROR loginguard.supervisor event=worker_died worker=\S+ pid={victim} signal=SIGKILL"
    assert re.search(died, log), log
    assert re.search(
        rf"WARNING loginguard.supervisor event=worker_replaced .*old_pid={victim}", log
    )
    now = procs.workers(main_pid(server))
    assert len(now - {survivor}) == 1, (pids, now)
    assert victim not in now

    os.kill(survivor, signal.SIGSTOP)
    try:
        ready = await asyncio.to_thread(httpx.get, server.url + "/readyz", timeout=timeout(10))
        assert ready.status_code == 200
        body = await asyncio.to_thread(login, server, "user2", "PC-new")
        held.append(await asyncio.wait_for(hold(server.port, body["access_token"]), timeout(10)))
    finally:
        os.kill(survivor, signal.SIGCONT)

    assert any(task.done() for task in cut)
    still_open = sum(not task.done() for task in cut) + 1
    await until(lambda: metric(server, "sockets") == still_open, what=f"{still_open} sockets")
    assert await asyncio.to_thread(metric, server, "worker_deaths_total") == 1
    for _, writer in held:
        writer.close()
    quiet(server.log())


async def test_workers_dying_again_and_again_end_the_server_with_exit_1(
    servers: Callable[[int], ServerProcess],
) -> None:
    """The third worker death within a minute stops the server: crash loop logged, exit 1,
    no process left for systemd to find."""
    server = servers(2).start()
    watch = procs.TreeWatch(main_pid(server)).start()
    for pid in await asyncio.to_thread(both_workers_up, server):
        os.kill(pid, signal.SIGKILL)
    await asyncio.to_thread(server.log_with, "event=worker_replaced", 30, times=2)
    os.kill(min(procs.workers(main_pid(server))), signal.SIGKILL)
    killed = time.monotonic()
    assert await asyncio.to_thread(ended, server, watch, killed) == 1, server.log()
    log = server.log()
    assert "ERROR loginguard.supervisor event=worker_crash_loop deaths=3 window=60s" in log
    assert log.count("event=worker_died") == 3
    quiet(log)


# -- Stopping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "to_group"),
    [(1, False), (2, False), (2, True)],
    ids=["one-worker", "two-workers", "two-workers-whole-group"],
)
async def test_a_stop_closes_every_socket_with_1001_and_exits_0_without_a_traceback(
    servers: Callable[[int], ServerProcess], workers: int, to_group: bool
) -> None:
    """SIGTERM to the main process (as systemd sends it) or to the whole process group:
    every socket hears 1001, every process ends in time, the log shows no traceback."""
    server = servers(workers).start()
    if workers > 1:
        await asyncio.to_thread(both_workers_up, server)
    watch = procs.TreeWatch(main_pid(server)).start()
    held = await asyncio.gather(*(hold(server.port, t) for t in await logins(server, SOCKETS)))
    codes = asyncio.gather(*(close_code(h) for h in held))
    (os.killpg if to_group else os.kill)(main_pid(server), signal.SIGTERM)
    signalled = time.monotonic()
    heard = Counter(await asyncio.wait_for(codes, timeout(STOP_WITHIN)))
    if heard != {1001: SOCKETS}:  # the whole log: an assertion's message is cut short
        pytest.fail(f"{heard}\n{server.log()}", pytrace=False)
    assert await asyncio.to_thread(ended, server, watch, signalled) == 0, server.log()
    quiet(server.log())


def wait_for(check: Callable[[], object], wait: float = 30.0) -> None:
    deadline = time.monotonic() + timeout(wait)
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {check}"
        time.sleep(0.01)


def launch_until(server: ServerProcess, moment: str) -> None:
    """Start ``server`` and return at ``moment`` of its start-up (or its life)."""
    server.launch()
    main = main_pid(server)
    if moment == "main-takes-signals":  # from here on the main process's code runs
        wait_for(lambda: procs.catches(main, signal.SIGTERM))
    elif moment == "worker-spawned":
        wait_for(lambda: procs.workers(main))
    elif moment in ("healthz-first-answers", "running"):
        server.ready()
        if moment == "running":
            both_workers_up(server)


@pytest.mark.parametrize(
    ("moment", "sig", "to_group"),
    [
        ("spawned", signal.SIGTERM, False),
        ("main-takes-signals", signal.SIGTERM, False),
        ("worker-spawned", signal.SIGTERM, False),
        ("healthz-first-answers", signal.SIGTERM, False),
        ("healthz-first-answers", signal.SIGINT, True),  # Ctrl-C in a terminal
        ("running", signal.SIGTERM, False),
    ],
    ids=["spawned", "main-takes-signals", "worker-spawned", "healthz", "healthz-ctrl-c", "running"],
)
def test_a_stop_signal_at_any_moment_ends_every_process_with_exit_0(
    servers: Callable[[int], ServerProcess], moment: str, sig: signal.Signals, to_group: bool
) -> None:
    """Whether the server is starting, half up or serving, a stop signal ends the main
    process and every process it started within 10 s, exit 0, without a traceback."""
    server = servers(2)
    launch_until(server, moment)
    watch = procs.TreeWatch(main_pid(server)).start()
    (os.killpg if to_group else os.kill)(main_pid(server), sig)
    signalled = time.monotonic()
    code = ended(server, watch, signalled)
    # Right after the spawn no code of ours may run yet: SIGTERM's default action
    # ends the process then, which systemd counts as a clean stop too.
    assert code == 0 or (moment == "spawned" and code == -signal.SIGTERM), (code, server.log())
    quiet(server.log())


def test_a_second_stop_signal_kills_the_workers_still_stopping(
    servers: Callable[[int], ServerProcess],
) -> None:
    """A second SIGTERM while a worker still waits for an unfinished request kills the
    workers left: logged, exit 0, no process left."""
    server = servers(2).start()
    both_workers_up(server)
    watch = procs.TreeWatch(main_pid(server)).start()
    # Half a request: its worker gives it the graceful-shutdown time (2 s) to finish.
    with socket.create_connection(("127.0.0.1", server.port)) as half:
        half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.2)  # accepted and read by a worker
        os.kill(main_pid(server), signal.SIGTERM)
        signalled = time.monotonic()
        server.log_with("event=stopping")
        os.kill(main_pid(server), signal.SIGTERM)
        assert ended(server, watch, signalled) == 0, server.log()
    log = server.log()
    assert "WARNING loginguard.supervisor event=stop_forced signal=SIGTERM" in log
    assert re.search(r"event=worker_killed worker=\S+ pid=\d+ reason=forced", log), log
    quiet(log)


async def test_workers_end_when_the_main_process_is_killed(
    servers: Callable[[int], ServerProcess],
) -> None:
    """kill -9 of the main process leaves no worker serving on its own: each is told to
    stop (their sockets hear 1001) and no process of the server is left."""
    server = servers(2).start()
    await asyncio.to_thread(both_workers_up, server)
    watch = procs.TreeWatch(main_pid(server)).start()
    held = await asyncio.gather(*(hold(server.port, t) for t in await logins(server, 20)))
    codes = asyncio.gather(*(close_code(h) for h in held))
    os.kill(main_pid(server), signal.SIGKILL)
    killed = time.monotonic()
    heard = Counter(await asyncio.wait_for(codes, timeout(STOP_WITHIN)))
    if heard != {1001: 20}:  # the whole log: an assertion's message is cut short
        pytest.fail(f"{heard}\n{server.log()}", pytrace=False)
    assert await asyncio.to_thread(ended, server, watch, killed) == -signal.SIGKILL
    quiet(server.log())
