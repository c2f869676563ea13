"""WebSocket close codes, split into "reconnect" and "terminal".

A client must never confuse "the network dropped, try again" with "you were
signed out, stop": only the codes in ``TERMINAL`` end a session; every other
code, including 1006 (no close frame at all), means reconnect with backoff.

=====  ==============  =========  ============================================
code   name            kind       meaning
=====  ==============  =========  ============================================
1000   NORMAL          reconnect  orderly close (client quit; server never
                                  sends it to end a session)
1001   GOING_AWAY      reconnect  server shutting down or restarting
1006   ABNORMAL        reconnect  connection lost without a close frame
1008   POLICY          reconnect  the client sent a frame it must not send
1009   TOO_BIG         reconnect  frame over 64 KiB
1011   INTERNAL        reconnect  server error
1013   TRY_AGAIN       reconnect  session store unreachable; retry later
4001   DISPLACED       terminal   the account signed in on another device
4002   LOGGED_OUT      terminal   this session signed out
4003   REVOKED         terminal   ended by an administrator / account disabled
4004   EXPIRED         terminal   idle timeout or absolute lifetime reached
4005   RESET           terminal   the server no longer knows this session (it was
                                  restarted, or its store was reset or restored)
4401   INVALID_TOKEN   terminal   the token is forged, malformed or unknown
=====  ==============  =========  ============================================
"""

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    ABNORMAL = 1006
    POLICY = 1008
    TOO_BIG = 1009
    INTERNAL = 1011
    TRY_AGAIN = 1013
    DISPLACED = 4001
    LOGGED_OUT = 4002
    REVOKED = 4003
    EXPIRED = 4004
    RESET = 4005
    INVALID_TOKEN = 4401


TERMINAL: frozenset[int] = frozenset(
    {
        CloseCode.DISPLACED,
        CloseCode.LOGGED_OUT,
        CloseCode.REVOKED,
        CloseCode.EXPIRED,
        CloseCode.RESET,
        CloseCode.INVALID_TOKEN,
    }
)


def is_terminal(code: int | None) -> bool:
    """True when the close ends the session; False means reconnect."""
    return code in TERMINAL
