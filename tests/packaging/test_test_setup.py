"""``make test`` needs the redis-server program, not a running Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import redis

from tests.support import private_redis
from tests.support.server import REDIS_TEST_URL, ROOT


def test_the_suite_runs_its_own_redis() -> None:
    """Unless told otherwise, tests talk to a private redis-server, never to port 6379."""
    if not private_redis.started():
        pytest.skip("LOGINGUARD_TEST_REDIS_URL points the suite at a Redis of your own")
    assert urlsplit(REDIS_TEST_URL).port != 6379
    assert redis.Redis.from_url(REDIS_TEST_URL).ping()


def test_without_redis_server_the_suite_says_how_to_get_it() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LOGINGUARD_TEST_REDIS_URL"}
    env["PATH"] = "/nonexistent"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/server/test_tokens.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 4, run.stdout + run.stderr
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "apt install redis-server" in lines[0]
