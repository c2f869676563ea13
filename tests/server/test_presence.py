"""Under ``reject``, a crashed PC does not lock its person out; a live one still blocks.

PC-1 is a real process holding a socket. While it lives, PC-2's login is refused
(409 ``session_active``) however long it waits; once PC-1 is killed, PC-2 gets in
after ``--presence-grace`` and PC-1's session ends as ``displaced``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import httpx
import pytest

from tests.support.clients import auth
from tests.support.polling import eventually
from tests.support.server import REDIS_TEST_URL, ROOT, ServerProcess, login_body, timeout

GRACE = 3.0

_PC = textwrap.dedent(
    """
    import asyncio, json, sys
    import httpx
    from websockets.asyncio.client import connect

    async def main(url, ws_url):
        body = {"username": "user1", "password": "password1", "device_id": "pc-1",
                "device_name": "PC-1"}
        token = httpx.post(url + "/api/auth/login", json=body).json()["access_token"]
        async with connect(ws_url, additional_headers={"Authorization": "Bearer " + token}) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            print(token, flush=True)
            await asyncio.Event().wait()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.fixture(params=["memory", "redis"])
def server(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess], redis_prefix: str
) -> ServerProcess:
    args = ["--demo", "--policy", "reject", "--presence-grace", str(GRACE)]
    args += ["--recheck-interval", "0.5", "--ping-interval", "1"]
    if request.param == "redis":
        args += ["--workers", "2", "--redis-url", REDIS_TEST_URL, "--redis-prefix", redis_prefix]
    return start_server(*args)


def _pc2(server: ServerProcess) -> httpx.Response:
    body = login_body("user1", "PC-2", device_id="pc-2")
    return httpx.post(server.url + "/api/auth/login", json=body)


async def test_a_crashed_pc_stops_blocking_after_the_grace(server: ServerProcess) -> None:
    pc1 = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _PC, server.url, server.ws_url, cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert pc1.stdout is not None
        token = (await asyncio.wait_for(pc1.stdout.readline(), timeout(30))).decode().strip()
        # Alive and connected: it blocks, also well past the grace.
        await asyncio.sleep(GRACE + 1.5)
        refused = await asyncio.to_thread(_pc2, server)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "session_active"
        # It names who holds the account, never the device_id that would replace them.
        assert [row["device_name"] for row in refused.json()["sessions"]] == ["PC-1"]
        assert all("device_id" not in row for row in refused.json()["sessions"])
        os.kill(pc1.pid, signal.SIGKILL)  # the PC crashes: its socket goes, its session stays
        await pc1.wait()
        killed = time.monotonic()
        admitted = await eventually(
            lambda: (r := _pc2(server)).status_code == 200 and r, GRACE + 5, "PC-2 admitted", 0.25
        )
        assert time.monotonic() - killed >= GRACE - 1.5  # not before the grace (less one re-check)
        assert [s["device_name"] for s in admitted.json()["displaced"]] == ["PC-1"]
        me = await asyncio.to_thread(httpx.get, server.url + "/api/auth/me", headers=auth(token))
        assert (me.status_code, me.json()["error"]) == (401, "session_displaced")
    finally:
        if pc1.returncode is None:
            pc1.kill()
            await pc1.wait()
