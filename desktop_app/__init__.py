"""LoginGuard desktop app: a PySide6 window over a plain-asyncio session client.

``session``, ``backoff``, ``wire``, ``api`` and ``client`` import no Qt and are
tested without a display; ``ui`` holds the widgets, which only watch the
session state machine.
"""

__version__ = "0.1.0"  # the one place to change it: pyproject.toml and packaging read it
