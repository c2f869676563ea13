"""Device names as another PC will show them: one line of visible text.

A device name travels from one user's PC to another's screen (the displaced
message, the sessions list) and into log lines, so the server cleans it once,
at login, with :func:`clean_device_name`:

- every whitespace character (tabs, newlines, Unicode spaces and line
  separators) counts as a space, and each run of them becomes one space;
- format and control characters go: C0/C1 controls (ESC, BEL, NUL, DEL),
  bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E/F),
  zero-width characters (U+200B-U+200D, U+2060, U+FEFF), and lone surrogates;
- the rest is NFC-normalised, trimmed and cut to :data:`MAX_LENGTH` characters.

The function is pure, total and idempotent. Not guaranteed: that the result
is readable — combining marks, private-use and unassigned code points, and
look-alike letters from other scripts are kept.
"""

from __future__ import annotations

import unicodedata
from typing import Final

MAX_LENGTH: Final = 100
_DROPPED: Final = frozenset({"Cc", "Cf", "Cs"})


def clean_device_name(raw: str) -> str:
    """The name as it may be stored and shown; ``""`` if nothing visible is left."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in raw
        if ch.isspace() or unicodedata.category(ch) not in _DROPPED
    )
    text = " ".join(unicodedata.normalize("NFC", kept).split())
    # A cut can leave a prefix that normalises shorter, never longer, or a space at the end.
    return unicodedata.normalize("NFC", text[:MAX_LENGTH]).strip()
