"""What the app says, in plain words: endings, failures, durations and times.

Every sentence goes through Qt's translator (``translate(context, source)``;
lupdate finds the calls by that bare name). No exception text, class name or
other raw English from a library ever reaches a sentence: failures arrive
already sorted into a :class:`~desktop_app.session.FailureKind`
(:mod:`desktop_app.api`), and the only things quoted are what the person typed
(the server address), numbers, times, and names the server sent.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, QTimeZone

from desktop_app.session import FailureKind, LoginFailure, Snapshot, State
from shared.messages import Session
from shared.reasons import EndReason

_PLACEHOLDER = re.compile(r"%([1-9])")
translate = QCoreApplication.translate


def fill(template: str, *values: object) -> str:
    """Qt-style ``%1``…``%9`` substitution in one pass (a value may contain ``%2``)."""
    return _PLACEHOLDER.sub(
        lambda m: str(values[int(m[1]) - 1]) if int(m[1]) <= len(values) else m[0], template
    )


def zone_name(moment: QDateTime) -> str:
    """``KST``, ``CET``, ``UTC``; ``UTC+05:30`` where the zone has no short letters."""
    abbreviation = moment.timeZoneAbbreviation()
    if abbreviation.isascii() and abbreviation.isalpha() and len(abbreviation) <= 5:
        return abbreviation
    offset = moment.offsetFromUtc()
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def when(timestamp: float, zone: QTimeZone | None = None, now: float | None = None) -> str:
    """A Unix time in local time with its zone: ``14:03 KST`` today, else with the date."""
    zone = zone if zone is not None else QTimeZone.systemTimeZone()
    moment = QDateTime.fromMSecsSinceEpoch(round(timestamp * 1000), zone)
    today = QDateTime.fromMSecsSinceEpoch(round((now or time.time()) * 1000), zone).date()
    shape = "HH:mm" if moment.date() == today else "yyyy-MM-dd HH:mm"
    return f"{QLocale().toString(moment, shape)} {zone_name(moment)}"


def duration(seconds: float) -> str:
    """``less than a minute``, ``about 15 minutes``, ``about 2 hours``, ``about 3 days``.

    Singular and plural are separate source texts rather than Qt's ``%n``
    numerus forms: lupdate's Python parser does not see numerus calls and
    would strip their forms from the .ts files.
    """
    if seconds < 60:
        return translate("Messages", "less than a minute")
    minutes = round(seconds / 60)
    if minutes < 60:
        if minutes == 1:
            return translate("Messages", "about 1 minute")
        return fill(translate("Messages", "about %1 minutes"), minutes)
    hours = round(seconds / 3600)
    if hours < 48:
        if hours == 1:
            return translate("Messages", "about 1 hour")
        return fill(translate("Messages", "about %1 hours"), hours)
    return fill(translate("Messages", "about %1 days"), round(seconds / 86400))


def ending_message(snapshot: Snapshot) -> str:
    """Why the session ended, in the current language; '' when it has not ended."""
    state, by = snapshot.state, snapshot.by
    if state is State.DISPLACED and by is not None:
        return fill(
            translate(
                "Messages",
                "You were signed out because your account signed in on %1 (%2) at %3.",
            ),
            by["device_name"],
            by["ip"],
            when(by["at"]),
        )
    if state is State.DISPLACED:
        return translate(
            "Messages", "You were signed out because your account signed in on another PC."
        )
    if state is State.EXPIRED:
        return translate(
            "Messages",
            "You were signed out because your session expired: it was idle too long "
            "or reached its time limit. Please sign in again.",
        )
    if state is State.REVOKED and snapshot.reason is EndReason.DISABLED:
        return translate(
            "Messages",
            "You were signed out because your account was disabled. "
            "Please contact your administrator.",
        )
    if state is State.REVOKED:
        return translate("Messages", "You were signed out by an administrator.")
    if state is State.LOGGED_OUT_ELSEWHERE and by is not None:
        return fill(
            translate("Messages", "You were signed out from %1 (%2) at %3."),
            by["device_name"],
            by["ip"],
            when(by["at"]),
        )
    if state is State.LOGGED_OUT_ELSEWHERE:
        return translate(
            "Messages",
            "You were signed out because this session was signed out elsewhere. "
            "Please sign in again.",
        )
    if state is State.SERVER_RESET:
        return translate(
            "Messages",
            "The server was restarted or reset and no longer knows this sign-in. Sign in again.",
        )
    if state is State.TOKEN_INVALID:
        return translate(
            "Messages",
            "You were signed out because the server no longer accepts this sign-in "
            "(it may have been reset). Please sign in again.",
        )
    return ""


def end_failure(failure: LoginFailure, server: str, device: str | None) -> str:
    """Why ending the session on ``device`` (None: every other session) did not work."""
    why = failure_message(failure, server)
    if device is None:
        return fill(translate("Sessions", "Could not end the other sessions. %1"), why)
    return fill(translate("Sessions", "Could not end the session on %1. %2"), device, why)


def already_ended(device: str) -> str:
    """Said when the session to end was gone before the request reached the server."""
    return fill(translate("Sessions", "The session on %1 had already ended."), device)


def where(sessions: Sequence[Session]) -> tuple[str, str]:
    """The device names of ``sessions`` and since when the oldest is signed in."""
    names = ", ".join(s["device_name"] for s in sessions) or "?"
    since = when(min(s["created_at"] for s in sessions)) if sessions else "?"
    return names, since


def failure_message(failure: LoginFailure, server: str = "") -> str:
    """Why a sign-in (or another call) failed, in the current language."""
    kind = failure.kind
    if kind is FailureKind.INVALID_CREDENTIALS:
        return translate("Messages", "Wrong username or password.")
    if kind is FailureKind.SESSION_ACTIVE:
        return fill(
            translate(
                "Messages",
                "This account is in use on %1 since %2. Sign out there first, "
                "or ask an administrator.",
            ),
            *where(failure.sessions),
        )
    if kind is FailureKind.DECLINED:
        return translate("Messages", "Not signed in. The other PC stays signed in.")
    if kind is FailureKind.RATE_LIMITED and failure.retry_after is not None:
        return fill(
            translate("Messages", "Too many failed attempts. You can try again in %1."),
            duration(failure.retry_after),
        )
    if kind is FailureKind.RATE_LIMITED:
        return translate("Messages", "Too many failed attempts. Try again later.")
    if kind is FailureKind.CONTESTED:
        return contested_message(failure.retry_after)
    if kind in _ASK_FAILURES:
        return _ask_message(failure)
    if kind is FailureKind.STORE_UNAVAILABLE:
        return translate(
            "Messages", "The server cannot sign anyone in right now. Try again shortly."
        )
    if kind is FailureKind.CANCELLED:
        return translate("Messages", "Sign-in cancelled.")
    if kind is FailureKind.ACCOUNT_DISABLED:
        return translate("Messages", "This account is disabled. Please contact your administrator.")
    if kind is FailureKind.REJECTED_INPUT:
        return translate(
            "Messages",
            "The server did not accept the username or this PC's name. Check them and try again.",
        )
    return _network_message(failure, server)


_ASK_FAILURES = frozenset(
    {
        FailureKind.TAKEOVER_DENIED,
        FailureKind.TAKEOVER_TIMED_OUT,
        FailureKind.TAKEOVER_SUPERSEDED,
        FailureKind.TAKEOVER_PENDING,
    }
)


def _ask_message(failure: LoginFailure) -> str:
    """Why a sign-in the other PC was asked to allow did not happen (the ``ask`` policy)."""
    kind = failure.kind
    if kind is FailureKind.TAKEOVER_TIMED_OUT:
        return translate(
            "Messages",
            "The other PC did not answer in time, so it stays signed in. "
            "Try again, or sign out there first.",
        )
    if kind is FailureKind.TAKEOVER_SUPERSEDED:
        return translate("Messages", "A newer sign-in from this PC took this one's place.")
    if kind is FailureKind.TAKEOVER_PENDING:
        wait = failure.retry_after
        if wait is None:
            return translate(
                "Messages",
                "Another PC is already asking to sign in with this account. Try again shortly.",
            )
        if wait < 60:
            return fill(
                translate(
                    "Messages",
                    "Another PC is already asking to sign in with this account. Try again in %1 s.",
                ),
                max(1, math.ceil(wait)),
            )
        return fill(
            translate(
                "Messages",
                "Another PC is already asking to sign in with this account. Try again in %1.",
            ),
            duration(wait),
        )
    return translate("Messages", "The other PC declined this sign-in. It stays signed in.")


def contested_message(wait: float | None) -> str:
    """Said when PCs keep taking the account from each other (the server's cool-down)."""
    if wait is None:
        return translate(
            "Messages",
            "This account is being used on two PCs at once. "
            "Wait a few minutes or contact your administrator.",
        )
    return fill(
        translate(
            "Messages",
            "This account is being used on two PCs at once. Wait %1 or contact your administrator.",
        ),
        duration(wait),
    )


def _network_message(failure: LoginFailure, server: str) -> str:
    kind = failure.kind
    if kind is FailureKind.UNREACHABLE:
        return fill(
            translate(
                "Messages", "Cannot reach the server at %1. Check the address and your network."
            ),
            server,
        )
    if kind is FailureKind.TIMEOUT:
        return fill(
            translate(
                "Messages",
                "The server at %1 did not answer in time. "
                "Check your network, or try again shortly.",
            ),
            server,
        )
    if kind is FailureKind.TLS:
        return fill(
            translate(
                "Messages",
                "A secure connection to %1 could not be set up (a certificate or encryption "
                "problem). Check the address, or ask your administrator.",
            ),
            server,
        )
    if kind is FailureKind.INVALID_ADDRESS:
        return fill(
            translate("Messages", "“%1” is not a server address. Example: http://127.0.0.1:8000"),
            server,
        )
    if kind is FailureKind.SERVER_ERROR:
        return fill(
            translate("Messages", "The server ran into a problem (HTTP %1). Try again shortly."),
            failure.status or 500,
        )
    if failure.status is not None:
        return fill(
            translate(
                "Messages",
                "The server gave an answer this app does not understand (HTTP %1). "
                "Check the server address.",
            ),
            failure.status,
        )
    return translate(
        "Messages",
        "The server gave an answer this app does not understand. Check the server address.",
    )


def pending_notice(server: str, kept: bool) -> str:
    """Said while a sign-out waits for the server; ``kept``: it survives quitting."""
    text = fill(
        translate(
            "Notices",
            "Your sign-out has not reached the server at %1 yet. "
            "LoginGuard sends it as soon as the server answers.",
        ),
        server,
    )
    if kept:
        return text
    return (
        text
        + " "
        + translate(
            "Notices",
            "Keep LoginGuard open until then: without a usable keychain this PC "
            "cannot keep it after you quit.",
        )
    )


def lost_notice(server: str, expires_at: float | None) -> str:
    """Said once at start when last run's pending sign-out could not be kept."""
    if expires_at is None:
        return fill(
            translate(
                "Notices",
                "Your last sign-out never reached the server at %1, and this PC had no usable "
                "keychain to keep it. That session ends by itself when it expires.",
            ),
            server,
        )
    return fill(
        translate(
            "Notices",
            "Your last sign-out never reached the server at %1, and this PC had no usable "
            "keychain to keep it. That session ends by itself by %2 at the latest.",
        ),
        server,
        when(expires_at),
    )


def delivered_notice() -> str:
    return translate("Notices", "Your sign-out has reached the server.")


def keychain_notice(reading: bool) -> str:
    """Said once per run when the OS keychain could not be used for "stay signed in"."""
    if reading:
        return translate(
            "Notices",
            "This PC's keychain could not be read, so you were not signed in automatically.",
        )
    return translate(
        "Notices",
        "This PC's keychain could not be used, so you will have to sign in again "
        "after LoginGuard is closed.",
    )
