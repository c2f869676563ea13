"""Error codes carried as ``{"error": <code>}`` in every 4xx/5xx JSON body."""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    SESSION_ACTIVE = "session_active"
    RATE_LIMITED = "rate_limited"
    ACCOUNT_CONTESTED = "account_contested"  # 429: the ping-pong guard's cool-down
    TAKEOVER_DENIED = "takeover_denied"  # 409: under ask, the other PC said no (or no answer)
    TAKEOVER_PENDING = "takeover_pending"  # 409: under ask, another PC is asking already
    TAKEOVER_CLOSED = "takeover_closed"  # 409: answering a takeover request already decided
    BAD_REQUEST = "bad_request"
    VALIDATION_FAILED = "validation_failed"
    STORE_UNAVAILABLE = "store_unavailable"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - a name, not a secret
    SESSION_DISPLACED = "session_displaced"
    SESSION_LOGGED_OUT = "session_logged_out"
    SESSION_REVOKED = "session_revoked"
    SESSION_EXPIRED = "session_expired"
    SESSION_RESET = "session_reset"
    ACCOUNT_DISABLED = "account_disabled"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL = "internal_error"
