"""What the user services need from the world: repositories inside one unit of work, and
cryptography (password hashing, access tokens, MFA codes).

Every use case runs in one unit of work: the change and its audit row commit together or not
at all. Adapters: `user.shell.persistence` (SQLAlchemy, all three databases) and the fakes in
`tests/fakes/`; one contract suite runs against each. Salted, slow or secret-keyed work sits
behind the last three ports; adapters: `user.shell.crypto` (argon2-cffi, PyJWT, pyotp).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol
from uuid import UUID

from boundary.kernel.pagination import Page
from boundary.ratelimit.core import Deny
from boundary.user.core.model import AuditEvent, AuditFilter, Session, User, UserFilter
from boundary.user.core.strength import Strength


class EmailTaken(Exception):
    """`add` found the (case-insensitive) email already in use."""


class Users(Protocol):
    async def add(self, user: User) -> None:
        """Insert; raises `EmailTaken` on a duplicate email (any case)."""

    async def get(self, user_id: UUID) -> User | None:
        """The user, soft-deleted ones included (the service decides what they mean)."""

    async def by_email(self, email: str) -> User | None:
        """Case-insensitive lookup, soft-deleted users included."""

    async def save(self, user: User) -> None:
        """Write every column of an existing user but id and created_at; raises `EmailTaken`
        when a changed email is in use."""

    async def search(self, where: UserFilter, *, limit: int, offset: int) -> Page[User]:
        """Live (not soft-deleted) users in the order they were added (registration order,
        oldest first; not by created_at), with the total matching."""

    async def claim_totp_step(self, user_id: UUID, step: int) -> bool:
        """Record `step` as the user's last accepted TOTP time step if it is newer than the one
        stored; False when it is not (a replayed code, or a concurrent request used it first)."""

    async def active_admin_ids(self) -> frozenset[UUID]:
        """Ids of the live, active admins, their rows locked until the unit ends, so that
        concurrent changes to admins run one after the other and each sees the last result."""


class Sessions(Protocol):
    async def add(self, session: Session) -> None: ...

    async def get(self, session_id: UUID) -> Session | None: ...

    async def by_token_hash(self, token_hash: str) -> Session | None: ...

    async def by_previous_token_hash(self, token_hash: str) -> Session | None:
        """The session whose last refresh replaced the token with this hash."""

    async def replace_token(self, rotated: Session) -> bool:
        """Store a rotation (`sessions.rotate`): compare and set — only while the row still
        has the token hash it replaces and is not revoked. False when a concurrent refresh
        (or a revocation) got there first; nothing is written then."""

    async def with_user(self, session_id: UUID) -> tuple[Session, User] | None:
        """The session and its user in one round trip (the per-request auth check)."""

    async def save(self, session: Session) -> None:
        """Write last_seen_at, expires_at and revoked_at of an existing session."""

    async def revoke_for_user(
        self, user_id: UUID, now: datetime, *, keep: UUID | None = None
    ) -> int:
        """Revoke every unrevoked session of a user except `keep`; how many were revoked."""

    async def delete_for_user(self, user_id: UUID) -> int:
        """Delete every session row of a user, revoked ones included (erasure: the rows
        hold IPs and user agents); how many were deleted."""

    async def for_user(self, user_id: UUID, *, limit: int, offset: int) -> Page[Session]:
        """A user's sessions, newest first."""

    async def count_live(self, now: datetime) -> int:
        """Sessions not revoked and not expired at `now`."""

    async def live(self, now: datetime, *, limit: int, offset: int) -> Page[Session]:
        """Every user's sessions not revoked and not expired at `now`, newest first."""


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> None: ...

    async def pseudonymise(self, email: str, pseudonym: str) -> int:
        """Replace `email` (any case) by `pseudonym` in the `email` and `actor` columns of
        every row (erasure); how many rows changed."""

    async def search(self, where: AuditFilter, *, limit: int, offset: int) -> Page[AuditEvent]:
        """Newest first."""


class BackupCodes(Protocol):
    """A user's one-time MFA backup codes, stored only as hashes."""

    async def replace(self, user_id: UUID, code_hashes: Sequence[str], now: datetime) -> None:
        """Delete the user's codes and store these (enable MFA); empty deletes all (disable)."""

    async def unused(self, user_id: UUID) -> dict[str, UUID]:
        """The user's unused codes: hash → code id."""

    async def use(self, code_id: UUID, now: datetime) -> bool:
        """Mark a code used; False when it was already used (a concurrent login won)."""


class UnitOfWork(Protocol):
    users: Users
    sessions: Sessions
    audit: AuditLog
    backup_codes: BackupCodes

    async def commit(self) -> None:
        """Make the unit's changes durable; leaving without commit rolls back."""

    async def forget_elsewhere(self, user_id: UUID, email: str) -> None:
        """Delete, in this unit, what other modules keep about the person (their queued and
        sent mail, their one-time account tokens): erasure's reach beyond the user tables."""


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


class Readers(Protocol):
    """The same repositories outside any transaction, for reads on the hot path (the
    per-request session check, listings): no BEGIN/COMMIT round trips. Never write on them."""

    users: Users
    sessions: Sessions
    audit: AuditLog
    backup_codes: BackupCodes


ReadersFactory = Callable[[], AbstractAsyncContextManager[Readers]]


class FailureLimit(Protocol):
    """Failed attempts counted per subject (a client IP or a user id) in the rate-limit
    storage, so the count holds across every process and replica."""

    async def check(self, subject: str | None) -> Deny | None:
        """None while `subject` may try again; the refusal (with its retry-after) otherwise."""

    async def record_failure(self, subject: str | None) -> None:
        """Count one failed attempt of `subject`."""


class PasswordHasherPort(Protocol):
    async def hash(self, password: str) -> str:
        """A new salted hash of `password`, in the adapter's current parameters."""

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether `password` matches; False, never an exception, for a malformed hash."""

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters: re-hash after a good login."""

    async def verify_dummy(self, password: str) -> None:
        """Spend what `verify` spends, for a login whose email matched no user."""


class TokenCodec(Protocol):
    def sign(self, claims: Mapping[str, object]) -> str:
        """A signed token carrying `claims` (which must include exp, iat, sub and jti)."""

    def verify(self, token: str) -> dict[str, object] | None:
        """The claims of a valid, unexpired token signed with a configured key, else None."""


class SecretCodes(Protocol):
    """Random secrets and one-time codes: TOTP, MFA backup codes, session tokens."""

    def new_totp_secret(self) -> str:
        """A new base32 TOTP secret."""

    def totp_uri(self, secret: str, *, email: str, issuer: str = "Boundary") -> str:
        """The ``otpauth://`` provisioning URI for an authenticator app."""

    def totp_step(
        self, secret: str, code: str, *, at: datetime, valid_window: int = 1
    ) -> int | None:
        """The time step `code` is the TOTP of, within `valid_window` steps of `at`; None when
        it matches none. The step lets the service refuse a code used before (RFC 6238 §5.2)."""

    def new_backup_codes(self, count: int = 10) -> list[str]:
        """`count` distinct, human-typable one-time backup codes."""

    def new_session_token(self) -> str:
        """A new opaque, unguessable session token."""


class PasswordStrength(Protocol):
    """Estimating how guessable a password is (zxcvbn in the shell); the core judges it."""

    def estimate(self, password: str, user_inputs: Sequence[str]) -> Strength:
        """The strength of `password` for a user described by `user_inputs`."""
        ...
