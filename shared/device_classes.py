"""Device classes: what kind of client a login comes from (``desktop``, ``mobile``, ``web``).

A class is a short lowercase token the client names in its login body; ``desktop`` when
it names none (the desktop app, and clients from before classes existed). The server's
``--max-sessions`` map gives each class a limit of its own, so a phone's login never
displaces the desktop session (docs/protocol.md, "Device classes"). Not guaranteed:
that a login really comes from the kind of device it names; the class is the client's
word, like its device name.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_CLASS: Final = "desktop"
DEVICE_CLASS: Final = re.compile(r"[a-z][a-z0-9_-]{0,15}")
#: What the rule says, for error messages on both sides.
RULE: Final = "1-16 characters: a lowercase letter, then lowercase letters, digits, _ or -"


def valid_device_class(text: str) -> bool:
    """True if ``text`` is a whole valid class name (no stripping, no case folding)."""
    return DEVICE_CLASS.fullmatch(text) is not None
