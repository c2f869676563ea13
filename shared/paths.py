"""HTTP and WebSocket paths of the LoginGuard API."""

from typing import Final

LOGIN: Final = "/api/auth/login"
LOGOUT: Final = "/api/auth/logout"
ME: Final = "/api/auth/me"
SESSIONS: Final = "/api/sessions"
#: ``DELETE`` ends one of the caller's sessions (another PC's, or its own); 204.
SESSION: Final = "/api/sessions/{id}"
ADMIN_SESSIONS: Final = "/api/admin/sessions"
#: ``DELETE`` ends every session of one user (reason ``admin``).
ADMIN_USER_SESSIONS: Final = "/api/admin/users/{username}/sessions"
#: ``DELETE`` clears the ping-pong guard of one user (its cool-down and count); 204.
ADMIN_USER_CONTEST: Final = "/api/admin/users/{username}/contest"
#: ``GET``, no authentication: the login policy (``{"policy", "ask_timeout"}``), so a
#: client can tell a login that waits for another PC's answer from a slow one.
POLICY: Final = "/api/auth/policy"
#: ``POST {"allow": bool}``: the asked PC's answer to a takeover request (policy ``ask``).
TAKEOVER_REQUEST: Final = "/api/takeover-requests/{id}"
WS: Final = "/ws"
HEALTHZ: Final = "/healthz"
READYZ: Final = "/readyz"
METRICS: Final = "/metrics"
