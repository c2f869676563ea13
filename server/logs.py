"""One structured line per event: ``time level logger event=... key=value``.

Callers log ``event=<name>`` first, then facts. Tokens, passwords and full JTIs
never reach a log line (a JTI is shortened to 8 characters for correlation).
"""

from __future__ import annotations

import logging
import sys


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger("loginguard")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
