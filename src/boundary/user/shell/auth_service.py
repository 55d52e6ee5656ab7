"""Authentication use cases (shell): login, refresh, logout, password change and MFA.

Each use case reads in three steps: gather (readers, and the slow crypto — argon2 — outside any
transaction, so a hash never holds a pooled connection), decide (`user.core`), apply (ONE unit
of work: the change and its audit rows commit together), then logs and metrics.

Login answers every failure with the same `LoginRefused` (or `MfaCodeRequired` after a right
password), and spends one password verification whatever the cause: a dummy one for an email
that names nobody, a real one for inactive, deleted and locked accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, NoReturn, TypeVar
from uuid import UUID

from boundary.kernel.problems import FieldError
from boundary.observability.logging import get_logger
from boundary.observability.operations import operation
from boundary.ratelimit.core import Deny
from boundary.ratelimit.core import headers as rate_headers
from boundary.user.core import audit, mfa, sessions
from boundary.user.core.audit import RequestContext
from boundary.user.core.errors import (
    Conflict,
    EmailNotVerified,
    Invalid,
    LoginRefused,
    MfaCodeRequired,
    TooManyAttempts,
    Unauthenticated,
    UserNotFound,
)
from boundary.user.core.login import (
    LoginAttempt,
    LoginDecision,
    LoginFailed,
    LoginSucceeded,
    MfaCode,
    MfaRequired,
    decide_login,
)
from boundary.user.core.model import Session, User
from boundary.user.core.text import visible
from boundary.user.core.tokens import access_claims
from boundary.user.core.validation import MAX_EMAIL_LENGTH, normalize_email
from boundary.user.ports import UnitOfWork
from boundary.user.shell.authn import Principal
from boundary.user.shell.deps import UserDeps

_T = TypeVar("_T")

LOGIN_METRIC: Final = "auth.login.count"
REFUSAL_DETAILS: Final = {
    "already_enabled": "MFA is already enabled; disable it first.",
    "not_set_up": "MFA is not set up; call POST /api/v1/auth/mfa/setup first.",
    "not_enabled": "MFA is not enabled.",
}
_WRONG_CODE: Final = FieldError(field="code", message="is not a valid code")
_WRONG_CURRENT_PASSWORD: Final = FieldError(field="current_password", message="is incorrect")


_OPERATIONS = get_logger("boundary.auth.service")
"""One event per operation (§8): `operation`, `duration-ms`, `user-id` and errors."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginResult:
    access_token: str
    expires_in: int
    session_token: str
    user: User


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshResult:
    access_token: str
    expires_in: int
    session_token: str
    """The session's new token; the one presented is spent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _SecondFactor:
    """What the request's MFA code turned out to be, found before the unit of work."""

    outcome: MfaCode = "missing"
    method: audit.MfaMethod | None = None
    backup_code_id: UUID | None = None
    totp_step: int | None = None


class AuthService:
    def __init__(self, deps: UserDeps) -> None:
        self._deps = deps
        self._log = deps.logger

    # --- login ---------------------------------------------------------------------------------

    @operation("auth.login", _OPERATIONS)
    async def login(
        self, *, email: str, password: str, mfa_code: str | None, ctx: RequestContext
    ) -> LoginResult:
        """A new session and access token, or `LoginRefused` / `MfaCodeRequired` (both 401),
        or `TooManyAttempts` (429) while the client IP has failed too often.

        The per-IP limit is checked before the password (while blocked even the right one is
        refused, and no argon2 time is spent); a refusal or a wrong MFA code counts, a missing
        MFA code (the first half of a normal MFA login) does not. Every failure, blocked ones
        included, also feeds the suspicious-authentication alarm.
        """
        limit = self._deps.login_failures
        blocked = None if limit is None else await limit.check(ctx.ip)
        if blocked is not None:
            self._alarm()
            raise _too_many(blocked)
        try:
            return await self._login(email=email, password=password, mfa_code=mfa_code, ctx=ctx)
        except (LoginRefused, MfaCodeRequired) as refused:
            if isinstance(refused, LoginRefused) or mfa_code:
                if limit is not None:
                    await limit.record_failure(ctx.ip)
                self._alarm()
            raise

    def _unverified(self, user: User) -> bool:
        """Whether login must wait for this user to verify their email address."""
        return self._deps.policy.require_verified_email and user.email_verified_at is None

    def _alarm(self) -> None:
        if self._deps.on_login_failure is not None:
            self._deps.on_login_failure()

    async def _login(
        self, *, email: str, password: str, mfa_code: str | None, ctx: RequestContext
    ) -> LoginResult:
        found = await self._find_by_email(email)
        password_ok = await self._verify_password(found, password)
        factor = await self._second_factor(found, mfa_code) if password_ok else _SecondFactor()
        new_hash = await self._rehashed(found, password) if password_ok else None
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            current = None if found is None else await unit.users.get(found.id)
            still_ok = password_ok and _same_hash(found, current)
            decision = self._decide(current, still_ok, factor.outcome, now)
            if isinstance(decision, LoginSucceeded) and self._unverified(decision.user):
                await unit.audit.append(
                    audit.login_failed(
                        attempted_email=email,
                        user=decision.user,
                        reason="email_not_verified",
                        ctx=ctx,
                        now=now,
                    )
                )
                await unit.commit()
                self._log.warn(
                    "login_failed", reason="email_not_verified", user_id=str(decision.user.id)
                )
                raise EmailNotVerified()
            if isinstance(decision, LoginSucceeded) and not await _spend(
                unit, factor, decision.user.id, now
            ):
                decision = self._decide(current, still_ok, "invalid", now)  # a race lost
            if isinstance(decision, LoginSucceeded):
                user = (
                    decision.user
                    if new_hash is None
                    else replace(decision.user, password_hash=new_hash)
                )
                session, raw = await self._open_session(unit, user, factor.method, ctx)
                await unit.commit()
            else:
                await self._record_failure(unit, decision, current, email, ctx)
                await unit.commit()
        if not isinstance(decision, LoginSucceeded):
            raise self._refused(decision, email)
        self._deps.metrics.increment(LOGIN_METRIC, tags={"result": "success"})
        self._log.info("Login succeeded", user_id=str(user.id), session_id=str(session.id))
        token, expires_in = self._access_token(user, session.id)
        return LoginResult(access_token=token, expires_in=expires_in, session_token=raw, user=user)

    async def _find_by_email(self, email: str) -> User | None:
        """The account the email names; a malformed address names nobody."""
        normalized = normalize_email(email)
        if isinstance(normalized, FieldError):
            return None
        async with self._deps.readers() as read:
            return await read.users.by_email(normalized)

    async def _verify_password(self, user: User | None, password: str) -> bool:
        """One argon2 verification whatever the account's state (equal timing)."""
        if user is None:
            await self._deps.passwords.verify_dummy(password)
            return False
        return await self._deps.passwords.verify(user.password_hash, password)

    async def _second_factor(self, user: User | None, code: str | None) -> _SecondFactor:
        """Check the MFA code of a user whose password was right (only then)."""
        if user is None or not user.mfa_enabled or user.mfa_secret is None:
            return _SecondFactor()
        kind = mfa.code_kind(code)
        if kind == "missing" or code is None:
            return _SecondFactor()
        if kind == "totp":
            step = self._fresh_totp_step(user, user.mfa_secret, code)
            if step is None:
                return _SecondFactor(outcome="invalid", method="totp")
            return _SecondFactor(outcome="valid", method="totp", totp_step=step)
        async with self._deps.readers() as read:
            unused = await read.backup_codes.unused(user.id)
        code_id = mfa.match_backup_code(code, unused)
        if code_id is None:
            return _SecondFactor(outcome="invalid", method="backup_code")
        return _SecondFactor(outcome="valid", method="backup_code", backup_code_id=code_id)

    async def _rehashed(self, user: User | None, password: str) -> str | None:
        """A hash in today's parameters when the stored one is outdated (computed off the unit)."""
        if user is None or not self._deps.passwords.needs_rehash(user.password_hash):
            return None
        return await self._deps.passwords.hash(password)

    def _decide(
        self, user: User | None, password_ok: bool, outcome: MfaCode, now: datetime
    ) -> LoginDecision:
        policy = self._deps.policy
        return decide_login(
            LoginAttempt(
                user=user,
                password_ok=password_ok,
                mfa=outcome,
                now=now,
                threshold=policy.lockout_threshold,
                lockout_seconds=policy.lockout_seconds,
            )
        )

    async def _open_session(
        self,
        unit: UnitOfWork,
        user: User,
        method: audit.MfaMethod | None,
        ctx: RequestContext,
    ) -> tuple[Session, str]:
        """Save the logged-in user, add the session and its audit row; the raw token."""
        now = self._deps.clock.now()
        raw = self._deps.codes.new_session_token()
        session = sessions.new_session(
            id=self._deps.ids.new_id(),
            user_id=user.id,
            token_hash=sessions.hash_token(raw),
            now=now,
            ttl_seconds=self._deps.policy.session_ttl,
            ip=ctx.ip,
            user_agent=ctx.user_agent,
        )
        await unit.users.save(user)
        await unit.sessions.add(session)
        await unit.audit.append(
            audit.login_succeeded(user=user, session_id=session.id, ctx=ctx, now=now, mfa=method)
        )
        return session, raw

    async def _record_failure(
        self,
        unit: UnitOfWork,
        decision: LoginFailed | MfaRequired,
        subject: User | None,
        email: str,
        ctx: RequestContext,
    ) -> None:
        if decision.user is not None:
            await unit.users.save(decision.user)
        events = audit.failed_login_events(
            decision, subject=subject, attempted_email=email, ctx=ctx, now=self._deps.clock.now()
        )
        for event in events:
            await unit.audit.append(event)

    def _refused(self, decision: LoginFailed | MfaRequired, email: str) -> Exception:
        """The one 401 to answer, after logging and counting why."""
        attempted = email.strip().lower()[:MAX_EMAIL_LENGTH]
        if isinstance(decision, MfaRequired):
            self._deps.metrics.increment(LOGIN_METRIC, tags={"result": "mfa_required"})
            if decision.user is not None:
                self._log.warn("login_failed", reason="bad_mfa_code", email=attempted)
            return MfaCodeRequired()
        self._deps.metrics.increment(LOGIN_METRIC, tags={"result": "failure"})
        self._log.warn("login_failed", reason=decision.reason, email=attempted)
        if decision.locked_now:
            self._log.warn("account_locked", email=attempted)
        return LoginRefused()

    @operation("auth.login", _OPERATIONS)
    async def refuse_invalid_login(
        self, *, email: object, errors: Sequence[FieldError], ctx: RequestContext
    ) -> NoReturn:
        """Refuse a login whose input is invalid (422 with `errors`), auditing the attempt as
        `login_failed` with reason `invalid_input` when it named an email at all."""
        if isinstance(email, str):
            subject = await self._find_by_email(email)
            now = self._deps.clock.now()
            async with self._deps.units() as unit:
                await unit.audit.append(
                    audit.login_failed(
                        attempted_email=email,
                        user=subject,
                        reason="invalid_input",
                        ctx=ctx,
                        now=now,
                    )
                )
                await unit.commit()
            self._deps.metrics.increment(LOGIN_METRIC, tags={"result": "failure"})
            attempted = visible(email.strip().lower())[:MAX_EMAIL_LENGTH]
            self._log.warn("login_failed", reason="invalid_input", email=attempted)
        raise Invalid(errors)

    # --- tokens and sessions -------------------------------------------------------------------

    def _access_token(self, user: User, session_id: UUID) -> tuple[str, int]:
        ttl = self._deps.policy.access_token_ttl
        claims = access_claims(
            user_id=user.id,
            session_id=session_id,
            role=user.role,
            now=self._deps.clock.now(),
            ttl_seconds=ttl,
            jti=self._deps.ids.new_id().hex,
        )
        return self._deps.tokens.sign(claims), ttl

    @operation("auth.refresh", _OPERATIONS)
    async def refresh(self, *, session_token: str, ctx: RequestContext) -> RefreshResult:
        """A new access token and a new session token for the live session the token names,
        or `Unauthenticated` (401).

        The presented token is spent: the session answers to the new one only. A token that a
        refresh already replaced, presented again, is a reuse — whoever holds a copy of it
        (the client or a thief) cannot be told apart — so the session is revoked (audited as
        `session_token_reused`) and every token of it stops working.

        Two refreshes racing with the same token: the rotation is a compare-and-set on the
        row, so exactly one wins; the loser is handled as a reuse, exactly as if it had come
        second. Answering it a bare 401 instead would leave the session with whoever won
        the race — a thief, possibly — while its owner is merely told to log in again.
        """
        presented = sessions.hash_token(session_token)
        async with self._deps.readers() as read:
            session = await read.sessions.by_token_hash(presented)
            replaced = None
            if session is None:
                replaced = await read.sessions.by_previous_token_hash(presented)
            owner = session or replaced
            user = None if owner is None else await read.users.get(owner.user_id)
        if replaced is not None:
            await self._revoke_reused(replaced.id, ctx)
        checked = sessions.check_session_for_user(session, user, now=self._deps.clock.now())
        if isinstance(checked, sessions.Invalid) or user is None:
            reason = checked.reason if isinstance(checked, sessions.Invalid) else "not_found"
            self._log.debug("Refresh refused", reason=reason)
            raise Unauthenticated(reason)
        raw = self._deps.codes.new_session_token()
        rotated = sessions.rotate(
            checked, new_token_hash=sessions.hash_token(raw), now=self._deps.clock.now()
        )
        async with self._deps.units() as unit:
            won = await unit.sessions.replace_token(rotated)
            if won:
                await unit.commit()
        if not won:
            await self._revoke_reused(checked.id, ctx)
        token, expires_in = self._access_token(user, checked.id)
        return RefreshResult(access_token=token, expires_in=expires_in, session_token=raw)

    async def _revoke_reused(self, session_id: UUID, ctx: RequestContext) -> NoReturn:
        """Revoke the session whose spent token came back (audited, unless it was revoked
        already), then refuse the refresh. The revocation is saved as a logout's is, so it
        holds from the next request on this process and, through the change feed, on every
        other."""
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            current = await unit.sessions.get(session_id)
            if current is not None and current.revoked_at is None:
                await unit.sessions.save(sessions.revoke(current, now))
                user = await unit.users.get(current.user_id)
                await unit.audit.append(
                    audit.session_token_reused(session=current, user=user, ctx=ctx, now=now)
                )
                await unit.commit()
                self._log.warn(
                    "session_token_reused",
                    session_id=str(session_id),
                    user_id=str(current.user_id),
                )
        self._log.debug("Refresh refused", reason="token_reused")
        raise Unauthenticated("token_reused")

    @operation("auth.logout", _OPERATIONS)
    async def logout(self, principal: Principal, ctx: RequestContext) -> None:
        """Revoke the caller's session; its access tokens fail from the next request on."""
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            await unit.sessions.save(sessions.revoke(principal.session, now))
            await unit.audit.append(
                audit.logout(actor=principal.ref, session_id=principal.session.id, ctx=ctx, now=now)
            )
            await unit.commit()
        self._log.info("Logged out", user_id=str(principal.user.id))

    # --- password ------------------------------------------------------------------------------

    @operation("auth.change_password", _OPERATIONS)
    async def change_password(
        self,
        principal: Principal,
        *,
        current_password: str,
        new_password: str,
        ctx: RequestContext,
    ) -> None:
        """Set a new password and revoke every other session.

        A wrong `current_password` is a 422 with a field error, not a 401: the caller IS
        authenticated (a 401 would tell clients to drop their token), the input is what's wrong.
        """
        user = principal.user
        if not await self._deps.passwords.verify(user.password_hash, current_password):
            raise Invalid([_WRONG_CURRENT_PASSWORD])
        self._deps.require_acceptable_password(new_password, email=user.email, name=user.name)
        new_hash = await self._deps.passwords.hash(new_password)
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            current = await self._live_user(unit, user)
            changed = replace(current, password_hash=new_hash, updated_at=now)
            await unit.users.save(changed)
            revoked = await unit.sessions.revoke_for_user(user.id, now, keep=principal.session.id)
            await unit.audit.append(
                audit.password_changed(
                    actor=principal.ref,
                    user=changed,
                    sessions_revoked=revoked,
                    ctx=ctx,
                    now=now,
                )
            )
            await unit.commit()
        self._log.info("Password changed", user_id=str(user.id), sessions_revoked=revoked)

    # --- MFA -----------------------------------------------------------------------------------

    @operation("auth.mfa_setup", _OPERATIONS)
    async def mfa_setup(self, principal: Principal, ctx: RequestContext) -> tuple[str, str]:
        """A new pending secret and its otpauth URI; MFA stays off until `mfa_enable`."""
        secret = self._deps.codes.new_totp_secret()
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = await self._live_user(unit, principal.user)
            pending = _allowed(mfa.begin_setup(user, secret=secret, now=now))
            await unit.users.save(pending)
            await unit.commit()
        self._log.info("MFA setup started", user_id=str(user.id))
        return secret, self._deps.codes.totp_uri(secret, email=user.email)

    @operation("auth.mfa_enable", _OPERATIONS)
    async def mfa_enable(
        self, principal: Principal, *, code: str, ctx: RequestContext
    ) -> list[str]:
        """Switch MFA on with a code from the pending secret and revoke the caller's other
        sessions (as a password change does); the backup codes, shown once."""
        await self._mfa_not_blocked(principal, "enable", ctx)
        plain = self._deps.codes.new_backup_codes(mfa.BACKUP_CODE_COUNT)
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = await self._live_user(unit, principal.user)
            secret = _allowed(mfa.can_enable(user))
            step = self._fresh_totp_step(user, secret, code)
            code_ok = step is not None and await unit.users.claim_totp_step(user.id, step)
            result = mfa.enable(user, code_ok=code_ok, now=now)
            if result == mfa.BAD_CODE:
                await self._mfa_wrong_code(unit, principal, "enable", ctx)
            enabled = _allowed(result)
            await unit.users.save(enabled)
            await unit.backup_codes.replace(user.id, [mfa.hash_backup_code(c) for c in plain], now)
            revoked = await unit.sessions.revoke_for_user(user.id, now, keep=principal.session.id)
            await unit.audit.append(
                audit.mfa_enabled(actor=principal.ref, sessions_revoked=revoked, ctx=ctx, now=now)
            )
            await unit.commit()
        self._log.info("MFA enabled", user_id=str(user.id), sessions_revoked=revoked)
        return plain

    @operation("auth.mfa_disable", _OPERATIONS)
    async def mfa_disable(self, principal: Principal, *, code: str, ctx: RequestContext) -> None:
        """Switch MFA off, confirmed by a TOTP code or an unused backup code."""
        await self._mfa_not_blocked(principal, "disable", ctx)
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = await self._live_user(unit, principal.user)
            secret = _allowed(mfa.can_disable(user))
            method: audit.MfaMethod = "totp"
            if mfa.code_kind(code) == "totp":
                step = self._fresh_totp_step(user, secret, code)
                code_ok = step is not None and await unit.users.claim_totp_step(user.id, step)
            else:
                method = "backup_code"
                unused = await unit.backup_codes.unused(user.id)
                code_ok = mfa.match_backup_code(code, unused) is not None
            result = mfa.disable(user, code_ok=code_ok, now=now)
            if result == mfa.BAD_CODE:
                await self._mfa_wrong_code(unit, principal, "disable", ctx)
            disabled = _allowed(result)
            await unit.users.save(disabled)
            await unit.backup_codes.replace(user.id, [], now)
            await unit.audit.append(
                audit.mfa_disabled(actor=principal.ref, method=method, ctx=ctx, now=now)
            )
            await unit.commit()
        self._log.info("MFA disabled", user_id=str(user.id), method=method)

    async def _mfa_not_blocked(
        self, principal: Principal, step: audit.MfaStep, ctx: RequestContext
    ) -> None:
        """`TooManyAttempts` (429, audited) once the user sent too many wrong codes."""
        blocked = await self._deps.mfa_failures.check(str(principal.user.id))
        if blocked is None:
            return
        event = audit.mfa_failed(
            actor=principal.ref, step=step, blocked=True, ctx=ctx, now=self._deps.clock.now()
        )
        async with self._deps.units() as unit:
            await unit.audit.append(event)
            await unit.commit()
        raise _too_many(blocked)

    async def _mfa_wrong_code(
        self, unit: UnitOfWork, principal: Principal, step: audit.MfaStep, ctx: RequestContext
    ) -> NoReturn:
        """Audit the wrong code (committing the unit, which holds nothing else), count it
        toward the user's limit, and answer 422."""
        event = audit.mfa_failed(
            actor=principal.ref, step=step, blocked=False, ctx=ctx, now=self._deps.clock.now()
        )
        await unit.audit.append(event)
        await unit.commit()
        await self._deps.mfa_failures.record_failure(str(principal.user.id))
        raise Invalid([_WRONG_CODE])

    @operation("auth.mfa_status", _OPERATIONS, read=True)
    async def mfa_status(self, principal: Principal) -> mfa.MfaStatus:
        async with self._deps.readers() as read:
            user = await read.users.get(principal.user.id)
            unused = await read.backup_codes.unused(principal.user.id)
        current = principal.user if user is None else user
        return mfa.status(current, backup_codes_remaining=len(unused))

    # --- helpers -------------------------------------------------------------------------------

    def _fresh_totp_step(self, user: User, secret: str, code: str) -> int | None:
        """The time step `code` is the TOTP of under `secret`, unless it matches none or that
        step was already used (a replay); the caller still claims it inside its unit."""
        normalized = mfa.normalize_code(code)
        step = self._deps.codes.totp_step(secret, normalized, at=self._deps.clock.now())
        return step if step is not None and mfa.is_fresh_step(user, step) else None

    @staticmethod
    async def _live_user(unit: UnitOfWork, user: User) -> User:
        """The caller's row as it is now, inside the unit (another request may have changed it)."""
        current = await unit.users.get(user.id)
        if current is None or current.deleted_at is not None:
            raise UserNotFound()
        return current


async def _spend(unit: UnitOfWork, factor: _SecondFactor, user_id: UUID, now: datetime) -> bool:
    """Use up the second factor inside the unit: mark the backup code used, or claim the TOTP
    step; False when a concurrent request spent it first."""
    if factor.backup_code_id is not None:
        return await unit.backup_codes.use(factor.backup_code_id, now)
    if factor.totp_step is not None:
        return await unit.users.claim_totp_step(user_id, factor.totp_step)
    return True


def _same_hash(found: User | None, current: User | None) -> bool:
    """Whether the password verified off the unit is still the one stored."""
    return (
        found is not None and current is not None and found.password_hash == current.password_hash
    )


def _allowed(result: _T | mfa.Refused) -> _T:
    """The value, or the problem a refused MFA step answers (409 for state, 422 for a code)."""
    if isinstance(result, mfa.Refused):
        if result.reason == "bad_code":
            raise Invalid([_WRONG_CODE])
        raise Conflict(REFUSAL_DETAILS[result.reason])
    return result


def _too_many(decision: Deny) -> TooManyAttempts:
    """The refusal of a blocked attempt, carrying the limit's Retry-After and RateLimit
    headers."""
    return TooManyAttempts(decision.retry_after, rate_headers(decision))
