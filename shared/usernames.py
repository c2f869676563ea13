"""The one rule for account names: login, the admin API and the users command share it.

A name is 1 to 64 ASCII letters, digits and ``._@-``. Such a name needs no
escaping in a URL path segment (``@`` may arrive percent-encoded, and is
decoded first), in a Redis key's ``{hash tag}``, in a log line or on a
terminal. Not guaranteed: that two names differing only in case are
different people to a human reader; the store treats them as two accounts.
"""

from __future__ import annotations

import re
from typing import Final

USERNAME: Final = re.compile(r"[A-Za-z0-9._@-]{1,64}")
#: What the rule says, for error messages on both sides.
RULE: Final = "1-64 characters, each a letter, a digit or one of . _ @ -"


def valid_username(text: str) -> bool:
    """True if ``text`` is a whole valid account name (no stripping, no case folding)."""
    return USERNAME.fullmatch(text) is not None
