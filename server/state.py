"""What every handler of one worker shares, reachable as ``request.app.ctx.lg``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sanic import Request

from server.auth import Passwords
from server.client_ip import client_ip as _client_ip
from server.config import ServerSettings
from server.core.service import SessionService
from server.hub import Hub
from server.metrics import Metrics
from server.sessions.factory import Stores


@dataclass
class WorkerState:
    settings: ServerSettings
    stores: Stores
    service: SessionService
    hub: Hub
    passwords: Passwords
    metrics: Metrics


def state(request: Request) -> WorkerState:
    return cast(WorkerState, request.app.ctx.lg)


def client_ip(request: Request) -> str:
    """The client's address; see :mod:`server.client_ip`."""
    return _client_ip(request)
