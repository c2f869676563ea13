"""Login policies, named in the 409 ``session_active`` body's ``policy`` field."""

from enum import StrEnum


class Policy(StrEnum):
    DISPLACE = "displace"  # newest login wins; the oldest sessions beyond the limit end
    REJECT = "reject"  # a login while the account is at its limit is refused
    CONFIRM = "confirm"  # refused unless the client confirms with takeover=true
    ASK = "ask"  # the PC holding the session is asked; the login waits for its answer
