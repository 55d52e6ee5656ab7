"""User administration use cases (shell): create, list, read, update, delete users; their
sessions; the audit log; and the operator CLI's create-admin.

Every change reads gather → decide (core) → apply, and applies in ONE unit of work together
with its audit row. Decisions worth knowing:

* A soft-deleted user is "not found" everywhere (404), like one that never existed.
* Deactivating a user (`active: false`) or changing their role revokes all of their sessions
  in the same unit of work, so it takes effect on the next request even without the
  per-request check (which would refuse too) and a later reactivation does not revive them.
* Delete is soft: `deleted_at` is set and `active` becomes false, so every reader of the row
  (the guide's SQL included) sees an unusable account; all sessions are revoked. The row and
  its email stay, so the email cannot be registered again (409) — audit history keeps its
  subject. An actor cannot delete their own account (409): it would lock an admin out with
  nobody to notice; another admin can.
* The last active admin cannot be demoted, deactivated or deleted (409, `user.core.admins`);
  the check locks the admins' rows inside the unit, so two concurrent demotions of the last
  two admins cannot both pass.
* An actor of None is the operator CLI (`cli` in audit rows). `create_admin` promotes an
  existing live user with that email: role admin, active again, all sessions revoked, password
  left unchanged.
* Erasure (`erase`, `user.core.erasure`) anonymises the row — a soft-deleted one too, so its
  email becomes free — deletes its sessions and backup codes, and puts the pseudonym in place
  of the address in the audit rows, all in one unit of work.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Final
from uuid import UUID

from boundary.kernel.pagination import Page, Window
from boundary.kernel.problems import FieldError
from boundary.observability.logging import get_logger
from boundary.observability.operations import operation
from boundary.user.core import admins, audit, changes, erasure, login, mfa
from boundary.user.core import sessions as session_rules
from boundary.user.core import validation as rules
from boundary.user.core.audit import ActorRef, RequestContext
from boundary.user.core.errors import Conflict, Invalid, NotFound, UserNotFound
from boundary.user.core.model import AuditEvent, AuditFilter, Session, User, UserFilter
from boundary.user.ports import EmailTaken, UnitOfWork
from boundary.user.shell.deps import UserDeps
from boundary.user.shell.strength import estimate_for

USERS_CREATED_METRIC: Final = "application.users.created.count"
DEFAULT_ADMIN_NAME: Final = "Administrator"
GENERATED_PASSWORD_BYTES: Final = 24
"""`token_urlsafe(24)` is 32 characters, 192 random bits."""
EMAIL_TAKEN: Final = "email already registered"
CLI: Final = RequestContext()
"""The request context of CLI actions: no ip, user agent or correlation id."""


_OPERATIONS = get_logger("boundary.user.service")
"""One event per operation (§8): `operation`, `duration-ms`, `user-id` and errors."""


class AdminRefused(Exception):
    """`create_admin` cannot proceed; the message is one line for the operator."""


class UserService:
    def __init__(self, deps: UserDeps) -> None:
        self._deps = deps

    # --- writes -------------------------------------------------------------------------------

    @operation("user.create", _OPERATIONS)
    async def create(
        self,
        actor: ActorRef | None,
        *,
        email: str,
        name: str,
        password: str,
        role: str,
        ctx: RequestContext,
    ) -> User:
        """The new user; `Invalid` (422) for bad input, `Conflict` (409) for a taken email."""
        new = self._validated(email=email, name=name, password=password, role=role)
        password_hash = await self._deps.passwords.hash(new.password)
        now = self._deps.clock.now()
        user = changes.create_user(
            new, id=self._deps.ids.new_id(), password_hash=password_hash, now=now
        )
        async with self._deps.units() as unit:
            try:
                await unit.users.add(user)
            except EmailTaken:
                raise Conflict(EMAIL_TAKEN) from None
            await unit.audit.append(audit.user_created(actor=actor, user=user, ctx=ctx, now=now))
            await unit.commit()
        self._created(user, actor)
        return user

    @operation("user.update", _OPERATIONS)
    async def update(
        self,
        actor: ActorRef | None,
        user_id: UUID,
        patch: Mapping[str, object],
        ctx: RequestContext,
    ) -> User:
        """The user after the patch (unchanged, and nothing written, when it changes nothing);
        `Conflict` (409) when a new email belongs to another account, deleted ones included."""
        checked = rules.validate_user_patch(patch, common=self._deps.common_passwords)
        if isinstance(checked, list):
            raise Invalid(checked)
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            before = _live(await unit.users.get(user_id))
            after = changes.apply_user_patch(before, checked, now=now)
            if after == before:
                return before
            await _keep_an_admin(unit, before, after)
            await self._apply_update(unit, actor, before, after, ctx)
            await unit.commit()
        self._deps.logger.info("User updated", **{"user.id": str(after.id)})
        return after

    @operation("user.delete", _OPERATIONS)
    async def delete(self, actor: ActorRef | None, user_id: UUID, ctx: RequestContext) -> None:
        """Soft-delete the user and revoke every session; `Conflict` when deleting oneself."""
        if actor is not None and actor.id == user_id:
            raise Conflict("you cannot delete your own account")
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = _live(await unit.users.get(user_id))
            await _keep_an_admin(unit, user, None)
            deleted = replace(user, deleted_at=now, active=False, updated_at=now)
            await unit.users.save(deleted)
            revoked = await unit.sessions.revoke_for_user(user_id, now)
            event = audit.user_deleted(
                actor=actor, user=deleted, sessions_revoked=revoked, ctx=ctx, now=now
            )
            await unit.audit.append(event)
            await unit.commit()
        self._deps.logger.info("User deleted", **{"user.id": str(user_id)})

    @operation("user.revoke_sessions", _OPERATIONS)
    async def revoke_sessions(
        self, actor: ActorRef | None, user_id: UUID, ctx: RequestContext
    ) -> int:
        """How many of the user's live sessions were revoked (all of them, the caller's too)."""
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = _live(await unit.users.get(user_id))
            revoked = await unit.sessions.revoke_for_user(user_id, now)
            event = audit.session_revoked(
                actor=actor, user=user, sessions_revoked=revoked, ctx=ctx, now=now
            )
            await unit.audit.append(event)
            await unit.commit()
        return revoked

    @operation("user.revoke_session", _OPERATIONS)
    async def revoke_session(
        self, actor: ActorRef | None, user_id: UUID, session_id: UUID, ctx: RequestContext
    ) -> None:
        """Revoke one session of the user; `NotFound` (404) when it is not that user's."""
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = _live(await unit.users.get(user_id))
            session = await unit.sessions.get(session_id)
            if session is None or session.user_id != user_id:
                raise NotFound("no such session")
            revoked = session_rules.revoke(session, now)
            if revoked == session:
                return
            await unit.sessions.save(revoked)
            event = audit.session_revoked(
                actor=actor, user=user, sessions_revoked=1, ctx=ctx, now=now, session_id=session_id
            )
            await unit.audit.append(event)
            await unit.commit()

    @operation("user.create_admin", _OPERATIONS)
    async def create_admin(
        self, *, email: str, name: str | None, password: str | None
    ) -> tuple[User, str | None]:
        """(the admin, the generated password or None): creates one, or promotes the live
        user with that email. `Invalid` for bad input, `AdminRefused` when a deleted account
        holds the email."""
        address = rules.normalize_email(email)
        if isinstance(address, FieldError):
            raise Invalid([address])
        async with self._deps.readers() as read:
            existing = await read.users.by_email(address)
        if existing is not None:
            return await self._promote(existing), None
        generated = None if password is not None else self._generate_password(address)
        chosen = password if password is not None else generated
        assert chosen is not None
        try:
            user = await self.create(
                None,
                email=address,
                name=name or DEFAULT_ADMIN_NAME,
                password=chosen,
                role="admin",
                ctx=CLI,
            )
        except Conflict:
            raise AdminRefused(
                f"{address} was registered meanwhile; run the command again"
            ) from None
        return user, generated

    @operation("user.reset_mfa", _OPERATIONS)
    async def reset_mfa(self, actor: ActorRef | None, user_id: UUID, ctx: RequestContext) -> None:
        """Switch the user's MFA off and delete their backup codes (they lost the device and
        the codes); nothing is written when MFA is neither on nor being set up."""
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = _live(await unit.users.get(user_id))
            reset = mfa.reset(user, now=now)
            if reset == user:
                return
            await unit.users.save(reset)
            await unit.backup_codes.replace(user_id, [], now)
            await unit.audit.append(audit.mfa_reset(actor=actor, user=reset, ctx=ctx, now=now))
            await unit.commit()
        self._deps.logger.info("MFA reset", **{"user.id": str(user_id)})

    @operation("user.erase", _OPERATIONS)
    async def erase(self, actor: ActorRef | None, user_id: UUID, ctx: RequestContext) -> User:
        """Erase the user (live or soft-deleted; see `user.core.erasure`): the anonymised row.
        `UserNotFound` when there is none or it is erased already; `Conflict` (409) for one's
        own account or the last active admin."""
        if actor is not None and actor.id == user_id:
            raise Conflict("you cannot erase your own account")
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = await unit.users.get(user_id)
            if user is None or erasure.is_erased(user):
                raise UserNotFound()
            await _keep_an_admin(unit, user, None)
            erased = erasure.erase(user, now=now)
            await unit.users.save(erased)
            revoked = await unit.sessions.revoke_for_user(user_id, now)
            await unit.sessions.delete_for_user(user_id)
            await unit.backup_codes.replace(user_id, [], now)
            await unit.audit.pseudonymise(user.email, erased.email)
            await unit.forget_elsewhere(user_id, user.email)
            event = audit.user_erased(
                actor=actor, user=erased, sessions_revoked=revoked, ctx=ctx, now=now
            )
            await unit.audit.append(event)
            await unit.commit()
        self._deps.logger.info("User erased", **{"user.id": str(user_id)})
        return erased

    @operation("user.set_password", _OPERATIONS)
    async def set_password(
        self, actor: ActorRef | None, user_id: UUID, password: str | None, ctx: RequestContext
    ) -> tuple[User, str | None]:
        """Set the live user's password (a generated one when `password` is None, returned
        once) and revoke every session; `Invalid` when it fails the password policy."""
        async with self._deps.readers() as read:
            user = _live(await read.users.get(user_id))
        generated = None if password is not None else self._generate_password(user.email)
        chosen = password if password is not None else generated
        assert chosen is not None
        self._deps.require_acceptable_password(chosen, email=user.email, name=user.name)
        password_hash = await self._deps.passwords.hash(chosen)
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            current = _live(await unit.users.get(user_id))
            changed = replace(current, password_hash=password_hash, updated_at=now)
            await unit.users.save(changed)
            revoked = await unit.sessions.revoke_for_user(user_id, now)
            event = audit.password_changed(
                actor=actor, user=changed, sessions_revoked=revoked, ctx=ctx, now=now
            )
            await unit.audit.append(event)
            await unit.commit()
        self._deps.logger.info("Password set", **{"user.id": str(user_id)})
        return changed, generated

    @operation("user.unlock", _OPERATIONS)
    async def unlock(self, actor: ActorRef | None, user_id: UUID, ctx: RequestContext) -> bool:
        """End the live user's lockout and clear the failed-login count; False (nothing
        written) when there was nothing to clear."""
        now = self._deps.clock.now()
        async with self._deps.units() as unit:
            user = _live(await unit.users.get(user_id))
            unlocked = login.unlock(user, now)
            if unlocked == user:
                return False
            await unit.users.save(unlocked)
            event = audit.account_unlocked(
                actor=actor, before=user, user=unlocked, ctx=ctx, now=now
            )
            await unit.audit.append(event)
            await unit.commit()
        self._deps.logger.info("Account unlocked", **{"user.id": str(user_id)})
        return True

    # --- reads --------------------------------------------------------------------------------

    @operation("user.find", _OPERATIONS, read=True)
    async def find(self, reference: str) -> User | None:
        """The user an operator names by id or email (any case), soft-deleted ones included;
        None when nobody matches."""
        try:
            user_id: UUID | None = UUID(reference.strip())
        except ValueError:
            user_id = None
        async with self._deps.readers() as read:
            if user_id is not None:
                return await read.users.get(user_id)
            return await read.users.by_email(reference.strip().lower())

    @operation("user.list", _OPERATIONS, read=True)
    async def list(self, where: UserFilter, window: Window) -> Page[User]:
        """Live users matching `where`, oldest first, with the total."""
        async with self._deps.readers() as read:
            return await read.users.search(where, limit=window.limit, offset=window.offset)

    @operation("user.get", _OPERATIONS, read=True)
    async def get(self, user_id: UUID) -> User:
        """The live user; `NotFound` (404) when missing or soft-deleted."""
        cache = self._deps.cache
        if cache is not None and (cached := cache.user(user_id)) is not None:
            return _live(cached)
        generation = cache.generation if cache is not None else 0
        async with self._deps.readers() as read:
            user = await read.users.get(user_id)
        if user is not None and cache is not None:
            cache.put_user(user, generation)
        return _live(user)

    @operation("user.sessions", _OPERATIONS, read=True)
    async def sessions(self, user_id: UUID, window: Window) -> Page[Session]:
        """The live user's sessions (revoked and expired ones included), newest first."""
        async with self._deps.readers() as read:
            _live(await read.users.get(user_id))
            return await read.sessions.for_user(user_id, limit=window.limit, offset=window.offset)

    @operation("user.live_sessions", _OPERATIONS, read=True)
    async def live_sessions(self, window: Window) -> Page[Session]:
        """Every user's live sessions (not revoked, not expired), newest first."""
        async with self._deps.readers() as read:
            return await read.sessions.live(
                self._deps.clock.now(), limit=window.limit, offset=window.offset
            )

    @operation("audit.list", _OPERATIONS, read=True)
    async def audit(self, where: AuditFilter, window: Window) -> Page[AuditEvent]:
        """Audit rows matching `where`, newest first."""
        async with self._deps.readers() as read:
            return await read.audit.search(where, limit=window.limit, offset=window.offset)

    # --- helpers ------------------------------------------------------------------------------

    def _validated(self, *, email: str, name: str, password: str, role: str) -> rules.NewUser:
        checked = rules.validate_new_user(
            email=email,
            name=name,
            password=password,
            role=role,
            common=self._deps.common_passwords,
            strength=estimate_for(self._deps.strength, password, email=email, name=name),
            min_score=self._deps.policy.password_min_score,
        )
        if isinstance(checked, list):
            raise Invalid(checked)
        return checked

    async def _apply_update(
        self,
        unit: UnitOfWork,
        actor: ActorRef | None,
        before: User,
        after: User,
        ctx: RequestContext,
    ) -> None:
        """Save, audit, and end every session when the change withdraws access."""
        now = after.updated_at
        try:
            await unit.users.save(after)
        except EmailTaken:
            raise Conflict(EMAIL_TAKEN) from None
        await unit.audit.append(
            audit.user_updated(actor=actor, before=before, after=after, ctx=ctx, now=now)
        )
        if _withdraws_access(before, after):
            await unit.sessions.revoke_for_user(after.id, now)

    async def _promote(self, user: User) -> User:
        if user.deleted_at is not None:
            raise AdminRefused(
                f"{user.email} belongs to a deleted account; use another email address"
            )
        now = self._deps.clock.now()
        promoted = replace(user, role="admin", active=True, updated_at=now)
        if promoted == replace(user, updated_at=now):
            return user
        async with self._deps.units() as unit:
            await self._apply_update(unit, None, user, promoted, CLI)
            await unit.commit()
        return promoted

    def _generate_password(self, email: str) -> str:
        """A random password that passes the policy (checked, not assumed)."""
        while True:
            candidate = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            common = self._deps.common_passwords
            strength = estimate_for(self._deps.strength, candidate, email=email, name=None)
            min_score = self._deps.policy.password_min_score
            if not rules.validate_password(
                candidate, common=common, email=email, strength=strength, min_score=min_score
            ):
                return candidate

    def _created(self, user: User, actor: ActorRef | None) -> None:
        self._deps.metrics.increment(USERS_CREATED_METRIC, tags={"role": user.role})
        by = audit.CLI_ACTOR if actor is None else str(actor.id)
        self._deps.logger.info("User created", **{"user.id": str(user.id), "actor": by})


def _live(user: User | None) -> User:
    if user is None or user.deleted_at is not None:
        raise UserNotFound()
    return user


async def _keep_an_admin(unit: UnitOfWork, before: User, after: User | None) -> None:
    """`Conflict` (409) when the change (None: deletion) would leave no active admin; the
    admins' rows stay locked until the unit ends, so concurrent demotions cannot both pass."""
    if not admins.loses_admin(before, after):
        return
    if admins.leaves_no_admin(before, after, await unit.users.active_admin_ids()):
        raise Conflict(admins.LAST_ADMIN_DETAIL)


def _withdraws_access(before: User, after: User) -> bool:
    """Deactivation or a role change: existing sessions must not carry on."""
    return (before.active and not after.active) or before.role != after.role
