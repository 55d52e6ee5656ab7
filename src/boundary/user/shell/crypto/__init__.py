"""Cryptography adapters (shell): argon2id passwords, HS256 access tokens, TOTP and tokens.

Ports: `boundary.user.ports`. `build_system` makes one `Argon2Passwords` (and
closes it at shutdown), one `JwtTokens` from ``security.jwt_secret`` and
``security.jwt_previous_secrets``, and one `PyotpCodes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boundary.user.shell.crypto.otp import (
    PyotpCodes,
    new_backup_codes,
    new_session_token,
    new_totp_secret,
    totp_step,
    totp_uri,
    verify_totp,
)
from boundary.user.shell.crypto.passwords import Argon2Passwords
from boundary.user.shell.crypto.tokens import JwtTokens, key_id

__all__ = [
    "Argon2Passwords",
    "JwtTokens",
    "PyotpCodes",
    "key_id",
    "new_backup_codes",
    "new_session_token",
    "new_totp_secret",
    "totp_step",
    "totp_uri",
    "verify_totp",
]

if TYPE_CHECKING:  # the adapters satisfy their ports (checked by mypy, free at run time)
    from boundary.user.ports import PasswordHasherPort, SecretCodes, TokenCodec

    def _conforms(p: Argon2Passwords, t: JwtTokens, c: PyotpCodes) -> None:
        _p: PasswordHasherPort = p
        _t: TokenCodec = t
        _c: SecretCodes = c
