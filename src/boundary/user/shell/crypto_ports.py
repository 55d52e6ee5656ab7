"""What the user services need from cryptography: password hashing, access tokens, MFA codes.

Salted, slow or secret-keyed work sits behind these ports (ARCHITECTURE "Pass the world in").
Adapters: `user.shell.crypto` (argon2-cffi, PyJWT, pyotp). The integrator may move these
Protocols into `user/ports.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol


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
