"""Request and response schemas of `/api/v1/auth/*` (shell).

Requests forbid unknown fields and bound every string, so an oversized value is a 422 before it
reaches argon2. The password policy is NOT applied here: the core judges passwords
(`validate_password`) and answers field errors the same way everywhere, and a login must never
reveal policy details about a stored password.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from boundary.user.shell.schemas import UserOut

MAX_EMAIL_INPUT = 320
MAX_PASSWORD_INPUT = 1024
MAX_CODE_INPUT = 64
MAX_SESSION_TOKEN_INPUT = 256


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- login, refresh ---------------------------------------------------------------------------


class LoginRequest(_Request):
    email: str = Field(max_length=MAX_EMAIL_INPUT)
    password: str = Field(max_length=MAX_PASSWORD_INPUT, repr=False)
    mfa_code: str | None = Field(
        default=None,
        max_length=MAX_CODE_INPUT,
        repr=False,
        description="A TOTP code or an unused backup code; required once MFA is enabled.",
    )


class LoginResponse(_Response):
    access_token: str = Field(repr=False)
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a token scheme, not a secret)
    expires_in: int = Field(description="The access token's lifetime in seconds.")
    session_token: str = Field(
        repr=False, description="Opaque; exchange it at /refresh for new access tokens."
    )
    user: UserOut


class RefreshRequest(_Request):
    session_token: str = Field(max_length=MAX_SESSION_TOKEN_INPUT, repr=False)


class RefreshResponse(_Response):
    access_token: str = Field(repr=False)
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a token scheme, not a secret)
    expires_in: int = Field(description="The access token's lifetime in seconds.")


# --- password -------------------------------------------------------------------------------


class PasswordChangeRequest(_Request):
    current_password: str = Field(max_length=MAX_PASSWORD_INPUT, repr=False)
    new_password: str = Field(max_length=MAX_PASSWORD_INPUT, repr=False)


# --- MFA ------------------------------------------------------------------------------------


class MfaSetupResponse(_Response):
    secret: str = Field(repr=False, description="Base32 TOTP secret (pending until enabled).")
    otpauth_uri: str = Field(repr=False, description="otpauth:// URI for a QR code.")


class MfaCodeRequest(_Request):
    code: str = Field(max_length=MAX_CODE_INPUT, repr=False)


class MfaEnableResponse(_Response):
    backup_codes: list[str] = Field(
        repr=False, description="One-time backup codes, shown only this once."
    )


class MfaStatusResponse(_Response):
    enabled: bool
    backup_codes_remaining: int
