"""Password reset and email verification use cases (shell).

Each request gathers (readers), decides (`account.core`), and applies in ONE account unit of
work: the token row, the outbox row carrying its link and the audit row commit together, so
no mail is ever queued for a token that was rolled back, and no token exists without its mail.

A reset request answers the same way whoever the email names: it renders the mail, hashes a
token and runs the same statements whether or not an account is there, and takes at least
`RESET_FLOOR_SECONDS`, so neither the answer nor its timing tells which addresses have accounts.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from boundary.account import core
from boundary.account.core import TokenKind
from boundary.account.ports import AccountUnit, AccountUnitFactory
from boundary.kernel.errors import Invalid, Unavailable
from boundary.kernel.problems import FieldError
from boundary.mail.shell.module import MailModule
from boundary.mail.shell.templates import render
from boundary.observability.logging import get_logger
from boundary.observability.operations import operation
from boundary.user.core import audit
from boundary.user.core.audit import MailOutcome, RequestContext
from boundary.user.core.model import AuditEvent, User
from boundary.user.core.validation import normalize_email
from boundary.user.shell.authn import Principal
from boundary.user.shell.deps import UserDeps

TOKEN_BYTES: Final = 32
RESET_FLOOR_SECONDS: Final = 0.25
"""A reset request never answers sooner: longer than the work it does for a real account, so
the time it takes is the same for every address."""
BAD_TOKEN: Final = FieldError(field="token", message="is invalid or has expired")
NOBODY: Final = "nobody@invalid"

_OPERATIONS = get_logger("boundary.account.service")


class AccountService:
    def __init__(
        self,
        deps: UserDeps,
        units: AccountUnitFactory,
        mail: MailModule,
        *,
        public_url: str,
        reset_ttl: float,
        verify_ttl: float,
    ) -> None:
        self._deps = deps
        self._units = units
        self._mail = mail
        self._public_url = public_url
        self._ttl: dict[TokenKind, float] = {
            "password_reset": reset_ttl,
            "email_verification": verify_ttl,
        }
        self._log = get_logger("boundary.account")

    def _require_mail(self) -> None:
        if not self._mail.enabled:
            raise Unavailable("mail", "Mail is not configured (mail.url); try again later.")

    # --- password reset ------------------------------------------------------------------------

    @operation("account.request_password_reset", _OPERATIONS)
    async def request_password_reset(self, *, email: str, ctx: RequestContext) -> None:
        """Queue a reset mail when `email` names an active account (at most 3 an hour);
        otherwise do the same work and queue nothing. Never tells which happened."""
        started = time.monotonic()
        self._require_mail()
        address = normalize_email(email)
        found: User | None = None
        if isinstance(address, str):
            async with self._deps.readers() as read:
                found = await read.users.by_email(address)
        target = found if found is not None and _usable(found) else None
        outcome = await self._issue(
            "password_reset",
            user=target,
            recipient=target.email if target is not None else NOBODY,
            audit_row=lambda result: audit.password_reset_requested(
                attempted_email=email,
                user=target,
                outcome=result,
                ctx=ctx,
                now=self._deps.clock.now(),
            ),
        )
        self._log.info("Password reset requested", outcome=outcome)
        await asyncio.sleep(max(0.0, RESET_FLOOR_SECONDS - (time.monotonic() - started)))

    @operation("account.confirm_password_reset", _OPERATIONS)
    async def confirm_password_reset(
        self, *, token: str, new_password: str, ctx: RequestContext
    ) -> None:
        """Set the password the reset link's owner chose and revoke every session."""
        self._require_mail()
        found, user = await self._redeemable(token, "password_reset")
        self._deps.require_acceptable_password(new_password, email=user.email, name=user.name)
        new_hash = await self._deps.passwords.hash(new_password)
        now = self._deps.clock.now()
        async with self._units() as unit:
            current = await self._spend(unit, found.token_hash, "password_reset")
            changed = replace(
                current,
                password_hash=new_hash,
                failed_login_count=0,
                lockout_until=None,
                updated_at=now,
            )
            await unit.users.save(changed)
            revoked = await unit.sessions.revoke_for_user(current.id, now)
            await unit.audit.append(
                audit.password_reset_completed(
                    user=changed, sessions_revoked=revoked, ctx=ctx, now=now
                )
            )
            await unit.commit()
        self._log.info("Password reset", user_id=str(current.id), sessions_revoked=revoked)

    async def reset_token_usable(self, token: str) -> bool:
        """Whether a reset link still works (the page says so before asking for a password)."""
        try:
            await self._redeemable(token, "password_reset")
        except Invalid:
            return False
        return True

    # --- email verification --------------------------------------------------------------------

    @operation("account.request_email_verification", _OPERATIONS)
    async def request_email_verification(self, principal: Principal, ctx: RequestContext) -> None:
        """Queue a verification mail to the caller's address (at most 3 an hour)."""
        self._require_mail()
        user = principal.user
        outcome = await self._issue(
            "email_verification",
            user=user,
            recipient=user.email,
            audit_row=lambda result: audit.email_verification_requested(
                actor=principal.ref, outcome=result, ctx=ctx, now=self._deps.clock.now()
            ),
        )
        self._log.info("Email verification requested", user_id=str(user.id), outcome=outcome)

    @operation("account.confirm_email_verification", _OPERATIONS)
    async def confirm_email_verification(self, *, token: str, ctx: RequestContext) -> None:
        """Mark the address the link was sent to as verified (if it is still the account's)."""
        self._require_mail()
        found, _ = await self._redeemable(token, "email_verification")
        now = self._deps.clock.now()
        async with self._units() as unit:
            current = await self._spend(unit, found.token_hash, "email_verification")
            if not await unit.tokens.mark_email_verified(current.id, current.email, now):
                raise Invalid([BAD_TOKEN])
            await unit.audit.append(audit.email_verified(user=current, ctx=ctx, now=now))
            await unit.commit()
        if self._deps.cache is not None:
            self._deps.cache.invalidate_users(frozenset({current.id}))
        self._log.info("Email verified", user_id=str(current.id))

    # --- shared --------------------------------------------------------------------------------

    async def _issue(
        self,
        kind: TokenKind,
        *,
        user: User | None,
        recipient: str,
        audit_row: Callable[[MailOutcome], AuditEvent],
    ) -> MailOutcome:
        """Void older tokens of `kind`, store a new one and queue its mail, unless the hourly
        limit is reached or there is no `user` — in every case the same statements run."""
        raw = secrets.token_urlsafe(TOKEN_BYTES)
        ttl = self._ttl[kind]
        message = render(
            kind, recipient=recipient, link=core.link(self._public_url, kind, raw), ttl_seconds=ttl
        )
        now = self._deps.clock.now()
        user_id = user.id if user is not None else self._deps.ids.new_id()
        token = core.new_token(
            id=self._deps.ids.new_id(),
            user_id=user_id,
            kind=kind,
            raw=raw,
            email=recipient,
            now=now,
            ttl=ttl,
        )
        async with self._units() as unit:
            recent = await unit.tokens.recent_count(user_id, kind, now - core.RATE_WINDOW)
            outcome: MailOutcome = (
                "no_account"
                if user is None
                else ("queued" if core.may_send(recent) else "rate_limited")
            )
            if outcome != "rate_limited":  # for no account: a random id, nothing to void
                await unit.tokens.void_unused(user_id, kind, now)
            if outcome == "queued":
                await unit.tokens.add(token)
                await unit.mail.enqueue(id=self._deps.ids.new_id(), message=message, now=now)
            await unit.audit.append(audit_row(outcome))
            await unit.commit()
        if outcome == "queued":
            self._mail.wake()
        return outcome

    async def _redeemable(self, raw: str, kind: TokenKind) -> tuple[core.AccountToken, User]:
        """The token and its user when the token may be redeemed now; `Invalid` otherwise."""
        if not core.well_formed(raw):
            raise Invalid([BAD_TOKEN])
        async with self._units() as unit:
            found = await unit.tokens.by_hash(core.hash_token(raw))
            user = None if found is None else await unit.users.get(found.user_id)
        return self._checked(found, user, kind)

    async def _spend(self, unit: AccountUnit, token_hash: str, kind: TokenKind) -> User:
        """Inside the applying unit: lock the token, check it again, spend it; its user."""
        found = await unit.tokens.by_hash(token_hash, lock=True)
        user = None if found is None else await unit.users.get(found.user_id)
        token, current = self._checked(found, user, kind)
        if not await unit.tokens.use(token.id, self._deps.clock.now()):
            raise Invalid([BAD_TOKEN])
        return current

    def _checked(
        self, found: core.AccountToken | None, user: User | None, kind: TokenKind
    ) -> tuple[core.AccountToken, User]:
        live = user if user is not None and _usable(user) else None
        problem = core.check_token(
            found,
            kind=kind,
            now=self._deps.clock.now(),
            current_email=None if live is None else live.email,
        )
        if problem is not None or found is None or live is None:
            self._log.info("Account token refused", reason=problem or "no_account", kind=kind)
            raise Invalid([BAD_TOKEN])
        return found, live

    async def prune_tokens(self) -> int:
        """Delete tokens expired for longer than the hourly window (housekeeping)."""
        now = self._deps.clock.now()
        async with self._units() as unit:
            deleted = await unit.tokens.prune(now - core.RATE_WINDOW)
            await unit.commit()
        return deleted


def _usable(user: User) -> bool:
    """Only live, active accounts get mail or may redeem a token."""
    return user.deleted_at is None and user.active
