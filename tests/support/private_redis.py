"""A pytest plugin: the suite's own redis-server, so ``make test`` needs nothing running.

Loaded with ``-p`` (see ``pyproject.toml``) so that its hook runs before the
conftest files are imported, and so before anything reads
``LOGINGUARD_TEST_REDIS_URL``: it starts a private, non-persistent
redis-server on a free loopback port for the session and points the variable at
it. Set the variable yourself to use a Redis of your own instead (tests keep
their keys under prefixes of their own and delete them). With no
``redis-server`` binary the run stops at once, saying how to get one.

Under pytest-xdist (``make test`` runs ``-n 2``) the hook runs in the controlling
process first, and the workers it starts inherit the variable: they share that one
server (every test keeps its keys under a prefix of its own), and ``_MARK`` tells
them it is the suite's own.
"""

from __future__ import annotations

import os
import shutil
import socket
from typing import Any

import pytest

_VARIABLE = "LOGINGUARD_TEST_REDIS_URL"
_MARK = "LOGINGUARD_TEST_REDIS_PRIVATE"  # the URL of the server this run started
_INSTALL = (
    "the tests need redis-server (not a running one): "
    "apt install redis-server | dnf install redis | brew install redis"
)
_started: list[Any] = []


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    if os.environ.get(_VARIABLE):
        return
    if shutil.which("redis-server") is None:
        raise pytest.UsageError(_INSTALL)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ[_VARIABLE] = os.environ[_MARK] = f"redis://127.0.0.1:{port}/0"
    # Imported only now: tests.support.server reads the variable when first imported.
    from tests.support.redis_proc import RedisProcess

    _started.append(RedisProcess(port=port).start())


def started() -> bool:
    """Whether this run uses a redis-server of its own (not one named in the variable)."""
    mark = os.environ.get(_MARK)
    return bool(_started) or (mark is not None and mark == os.environ.get(_VARIABLE))


def pytest_unconfigure(config: pytest.Config) -> None:
    while _started:
        _started.pop().stop(save=False)
