"""Pick the store engine from the settings."""

from __future__ import annotations

from server.config import Settings
from server.sessions.base import SessionStore


def open_store(settings: Settings) -> SessionStore:
    """Redis when a URL is configured, else the embedded memory engine."""
    if settings.redis_url:
        from server.sessions.redis import RedisStore  # only Redis users import redis

        return RedisStore(settings.redis_url, prefix=settings.redis_prefix)
    from server.sessions.memory import MemoryStore

    return MemoryStore()
