"""The session service: login, authenticate, end - transport-free.

A login is exactly two store round trips however it ends:

1. ``attempts.reserve`` fetches the account and reserves one attempt before the
   password is looked at (so no concurrency can verify more passwords than the
   limit allows);
2. ``sessions.login`` decides by the policy and applies the decision, settling
   the reservation in the same atomic step.

A wrong password keeps its reservation as the failure (no further call). The
argon2 check runs in the password pool, off the event loop. Callers get the
results of :mod:`.results`; nothing here raises for a refused login.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from server.auth import Claims, Passwords, TokenExpired, TokenInvalid, Tokens, new_jti
from server.config import ServerSettings
from server.core.asking import ADMITTING, Asking, Waits
from server.core.results import (
    AccountDisabled,
    Admitted,
    Authenticated,
    AuthResult,
    BadCredentials,
    Contested,
    LoginAttempt,
    LoginResult,
    RateLimited,
    Refused,
    SessionOver,
    TakeoverBusy,
    TakeoverRefused,
)
from server.metrics import Metrics
from server.sessions.attempts import Limits
from server.sessions.contest import ContestRule, retry_seconds
from server.sessions.factory import Stores
from server.sessions.policy import Policy
from server.sessions.records import (
    Account,
    ContestRefusal,
    LoginOutcome,
    SessionRecord,
    ending_of,
)
from server.sessions.takeovers import Answered, TakeoverRequest
from shared.messages import By, TakeoverOutcome
from shared.reasons import EndReason

log = logging.getLogger("loginguard.auth")


class SessionService:
    def __init__(
        self,
        stores: Stores,
        settings: ServerSettings,
        passwords: Passwords,
        tokens: Tokens,
        metrics: Metrics,
        waits: Waits | None = None,
    ) -> None:
        self.stores = stores
        self._settings = settings
        self._passwords = passwords
        self._tokens = tokens
        self._metrics = metrics
        # Label children looked up once, not on every login.
        self._login_counts = {kind: metrics.logins.labels(name) for kind, name in _OUTCOME.items()}
        self._end_counts = {reason: metrics.ended.labels(reason.value) for reason in EndReason}
        s = settings
        self._limits = Limits(
            per_account=s.max_failures_user,
            per_device=s.max_failures_device,
            per_ip=s.max_failures_ip,
            window=s.failure_window,
        )
        waits = Waits() if waits is None else waits
        self._asking = Asking(stores.takeovers, stores.sessions, waits, s.ask_timeout)
        self._contest = None
        if s.contest_limit > 0:
            self._contest = ContestRule(
                s.contest_limit, s.contest_window, s.contest_cooldown, s.contest_cooldown_max
            )

    async def login(self, attempt: LoginAttempt) -> LoginResult:
        started = time.perf_counter()
        result = await self._login(attempt)
        self._login_counts[type(result)].inc()
        if isinstance(result, Admitted):
            self._metrics.started.inc()
            self._metrics.login_seconds.observe(time.perf_counter() - started)
        return result

    async def _login(self, a: LoginAttempt) -> LoginResult:
        stores, s = self.stores, self._settings
        ticket = await stores.attempts.reserve(a.username, a.device_id, a.ip, self._limits)
        if ticket.reservation is None:
            log.info("event=login_limited user=%s ip=%s", a.username, a.ip)
            return RateLimited(ticket.retry_after)
        for limit in ticket.unchecked:  # the limiter logs the outage, once
            self._metrics.limit_degraded.labels(limit).inc()
        account = ticket.account
        stored = account.password_hash if account else None
        ok, rehash = await self._passwords.verify(stored, a.password)
        if not ok or account is None:
            await stores.attempts.failed(ticket.reservation)
            log.info("event=login_failed user=%s ip=%s", a.username, a.ip)
            return BadCredentials()
        if account.disabled:
            await stores.attempts.release(ticket.reservation)
            return AccountDisabled()
        if rehash:
            await self._rehash(account, a.password)
        now = stores.sessions.clock()
        record = SessionRecord(
            user=a.username,
            jti=new_jti(),
            device_id=a.device_id,
            device_name=a.device_name,
            ip=a.ip,
            created_at=now,
            expires_at=float(int(now + s.token_ttl)),  # the JWT's exp is whole seconds
            device_class=a.device_class,
        )
        outcome = await stores.sessions.login(
            record,
            policy=s.policy,
            max_sessions=s.max_sessions,
            takeover=a.takeover and s.policy is not Policy.ASK,  # under ask, only asking
            idle_ttl=s.idle_ttl,
            settle=ticket.reservation,
            presence_grace=s.presence_grace,
            contest=self._contest,
        )
        if outcome.admitted is None and outcome.contested is None and s.policy is Policy.ASK:
            return await self._ask(a, record, outcome.conflicts)
        return self._concluded(a, outcome)

    async def _ask(
        self, a: LoginAttempt, record: SessionRecord, asked: tuple[SessionRecord, ...]
    ) -> LoginResult:
        """Policy ask: the login waits for the answer of the PCs whose sessions block it."""
        decided = await self._asking.ask(record, asked)
        if isinstance(decided, TakeoverRequest):
            log.info("event=takeover_busy user=%s ip=%s", a.username, a.ip)
            return TakeoverBusy(max(0.0, decided.deadline - self.stores.takeovers.clock()))
        admit = decided in ADMITTING or (
            decided is TakeoverOutcome.TIMED_OUT and self._settings.ask_default == "allow"
        )
        if not admit:
            return TakeoverRefused(decided)
        s, now = self._settings, self.stores.sessions.clock()
        record = dataclasses.replace(
            record, created_at=now, expires_at=float(int(now + s.token_ttl))
        )
        outcome = await self.stores.sessions.login(
            record,
            policy=s.policy,
            max_sessions=s.max_sessions,
            takeover=True,  # allowed, or nobody there to ask
            idle_ttl=s.idle_ttl,
            presence_grace=s.presence_grace,
            contest=self._contest,
        )
        return self._concluded(a, outcome)

    def _concluded(self, a: LoginAttempt, outcome: LoginOutcome) -> LoginResult:
        s = self._settings
        if outcome.contested is not None:
            return self._contested(a, outcome.contested)
        if outcome.admitted is None:
            log.info("event=login_refused user=%s policy=%s", a.username, s.policy.value)
            return Refused(s.policy, outcome.conflicts)
        admitted = outcome.admitted
        issued = min(admitted.created_at, self.stores.sessions.clock())  # never in the future
        claims = Claims(admitted.user, admitted.jti, issued, admitted.expires_at)
        token = self._tokens.issue(claims)
        # One INFO line per login, or per session it displaced (naming the new jti).
        log.log(
            logging.DEBUG if outcome.ended else logging.INFO,
            "event=session_created user=%s jti=%s device=%s ip=%s",
            admitted.user,
            admitted.jti[:8],
            admitted.device_name,
            a.ip,
        )
        for old in outcome.ended:
            self._count_end(EndReason.DISPLACED)
            self._metrics.displacements.inc()
            log.info(
                "event=session_displaced user=%s jti=%s device=%s by_jti=%s by_device=%s by_ip=%s",
                old.user,
                old.jti[:8],
                old.device_name,
                admitted.jti[:8],
                admitted.device_name,
                a.ip,
            )
        return Admitted(admitted, token, outcome.ended)

    def _contested(self, a: LoginAttempt, refused: ContestRefusal) -> Contested:
        wait = retry_seconds(refused.retry_after)
        if refused.began:
            self._metrics.contested.inc()
            # The audit line (one per contest); an audit stream will carry it later.
            log.warning(
                "event=account_contested user=%s displacements=%d retry_after=%d device=%s ip=%s",
                a.username,
                refused.displacements,
                wait,
                a.device_name,
                a.ip,
            )
        else:
            log.info("event=login_contested user=%s retry_after=%d ip=%s", a.username, wait, a.ip)
        return Contested(refused.retry_after)

    async def uncontest(self, user: str, *, by_admin: str) -> bool:
        """Clear the ping-pong guard of ``user``; True when it was contested."""
        cleared = await self.stores.sessions.uncontest(user)
        log.warning(
            "event=account_uncontested user=%s was_contested=%s by=%s",
            user,
            "true" if cleared else "false",
            by_admin,
        )
        return cleared

    async def answer_takeover(
        self, authed: Authenticated, request_id: str, allow: bool
    ) -> tuple[Answered, TakeoverOutcome | None]:
        """The caller's answer to the takeover request ``request_id`` (policy ask)."""
        user, jti = authed.claims.user, authed.claims.jti
        kind, outcome = await self.stores.takeovers.answer(user, request_id, jti, allow)
        log.info(
            "event=takeover_answered user=%s jti=%s request=%s allow=%s result=%s",
            user,
            jti[:8],
            request_id[:8],
            "true" if allow else "false",
            kind if outcome is None else f"{kind}:{outcome.value}",
        )
        return kind, outcome

    async def _rehash(self, account: Account, password: str) -> None:
        new_hash = await self._passwords.hash(password)
        await self.stores.accounts.put(
            Account(account.username, new_hash, account.role, account.disabled)
        )

    async def authenticate(self, token: str | None, *, touch: bool = True) -> AuthResult:
        """The live session a bearer token stands for (its idle deadline refreshed), or why not."""
        claims = self.claims_of(token)
        if isinstance(claims, SessionOver):
            return claims
        return await self.check(claims, touch=touch)

    def claims_of(self, token: str | None) -> Claims | SessionOver:
        """The claims of a well-formed, well-signed, unexpired token, or why it is not one."""
        if token is None:
            return SessionOver(EndReason.INVALID)
        try:
            return self._tokens.verify(token)
        except TokenExpired:
            return SessionOver(EndReason.EXPIRED)
        except TokenInvalid:
            return SessionOver(EndReason.INVALID)

    async def check(
        self, claims: Claims, *, touch: bool = True, present: bool = False
    ) -> AuthResult:
        """The session of verified ``claims`` now (refreshed with ``touch``; marked seen
        with ``present``, for a socket), or why it is over."""
        ttl = self._settings.idle_ttl if touch else None
        sessions = self.stores.sessions
        status = await sessions.check(claims.user, claims.jti, touch_ttl=ttl, present=present)
        ending = ending_of(status, token_expired=claims.expires_at <= time.time())
        if ending is None:
            assert isinstance(status, SessionRecord)
            return Authenticated(claims, status)
        return SessionOver(*ending)

    async def end(
        self, user: str, jti: str, reason: EndReason, by: By | None = None
    ) -> SessionRecord | None:
        """End one session (idempotent); its sockets hear of it through the event bus."""
        ended = await self.stores.sessions.end(user, jti, reason, by)
        if ended is not None:
            self._count_end(reason)
            log.info("event=session_ended user=%s jti=%s reason=%s", user, jti[:8], reason.value)
        return ended

    async def end_own(
        self, authed: Authenticated, ip: str, which: str | None
    ) -> list[SessionRecord]:
        """End the caller's session ``which`` (any of the account's), or with None every
        other one; each ended PC hears ``logged_out`` naming the caller's device."""
        user, me = authed.claims.user, authed.claims.jti
        by = By(device_name=authed.session.device_name, ip=ip, at=time.time())
        if which == me:
            ended = await self.end(user, me, EndReason.LOGGED_OUT)  # signing itself out
            return [ended] if ended is not None else []
        sessions = await self.stores.sessions.sessions_of(user)
        targets = [s.jti for s in sessions if (s.jti == which if which else s.jti != me)]
        ended_all = [await self.end(user, jti, EndReason.LOGGED_OUT, by) for jti in targets]
        return [record for record in ended_all if record is not None]

    async def end_all(self, user: str, reason: EndReason, *, by_admin: str) -> list[SessionRecord]:
        """End every session of ``user`` (an administrator's kick, a disabled account)."""
        ended = await self.stores.sessions.end_all(user, reason)
        self._end_counts[reason].inc(len(ended))
        log.info("event=kick user=%s sessions=%d by=%s", user, len(ended), by_admin)
        return ended

    def _count_end(self, reason: EndReason) -> None:
        self._end_counts[reason].inc()


# Metric labels kept from before the service existed (dashboards use them).
_OUTCOME: dict[type[LoginResult], str] = {
    Admitted: "ok",
    Refused: "session_active",
    Contested: "contested",
    RateLimited: "rate_limited",
    BadCredentials: "invalid_credentials",
    AccountDisabled: "disabled",
    TakeoverRefused: "takeover_denied",
    TakeoverBusy: "takeover_pending",
}
