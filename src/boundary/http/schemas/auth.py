"""Request and response schemas of `/api/v1/auth/*` (shell).

Requests forbid unknown fields, bound every string and refuse control characters in it (`Text`),
so an oversized value is a 422 before it reaches argon2. The password policy is NOT applied
here: the core judges new passwords (`validate_password`) and answers field errors the same
way everywhere — their documented `minLength`/`maxLength` are the core's — and a login must
never reveal policy details about a stored password.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from boundary.http.schemas.common import Text, UserOut
from boundary.user.core.mfa import BACKUP_CODE_BYTES, TOTP_DIGITS
from boundary.user.core.validation import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

MAX_EMAIL_INPUT = 320
MAX_PASSWORD_INPUT = 1024
MAX_CODE_INPUT = 64
MAX_SESSION_TOKEN_INPUT = 256

CODE_PATTERN: Final = (
    rf"^[ -]*(?:(?:[0-9][ -]*){{{TOTP_DIGITS}}}|(?:[0-9A-Fa-f][ -]*){{{2 * BACKUP_CODE_BYTES}}})$"
)
"""Six digits (TOTP) or a backup code of twelve hex digits; spaces and dashes are ignored. A
code of another shape is simply wrong: 422 on MFA enable/disable, the MFA 401 on login."""
CODE_DOC: Final[dict[str, Any]] = {"pattern": CODE_PATTERN}
NEW_PASSWORD_DOC: Final[dict[str, Any]] = {
    "format": "password",
    "minLength": MIN_PASSWORD_LENGTH,
    "maxLength": MAX_PASSWORD_LENGTH,
    "description": f"{MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters, not a common "
    "password or your email address, and strong enough for the strength estimate; refused "
    "with the reason in words otherwise.",
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- login, refresh ---------------------------------------------------------------------------


class LoginRequest(_Request):
    email: Text = Field(max_length=MAX_EMAIL_INPUT)
    password: Text = Field(
        max_length=MAX_PASSWORD_INPUT, repr=False, json_schema_extra={"format": "password"}
    )
    mfa_code: Text | None = Field(
        default=None,
        max_length=MAX_CODE_INPUT,
        repr=False,
        description="A TOTP code or an unused backup code; required once MFA is enabled.",
        json_schema_extra=CODE_DOC,
    )


class LoginResponse(_Response):
    access_token: str = Field(repr=False)
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a token scheme, not a secret)
    expires_in: int = Field(description="The access token's lifetime in seconds.")
    session_token: str = Field(
        repr=False,
        description="Opaque; exchange it at /refresh for a new access token (and a new "
        "session token).",
    )
    user: UserOut


class RefreshRequest(_Request):
    session_token: Text = Field(max_length=MAX_SESSION_TOKEN_INPUT, repr=False)


class RefreshResponse(_Response):
    access_token: str = Field(repr=False)
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a token scheme, not a secret)
    expires_in: int = Field(description="The access token's lifetime in seconds.")
    session_token: str = Field(
        repr=False,
        description="The session's new token, for the next refresh. The one sent is spent: "
        "sending it again revokes the session.",
    )


# --- password -------------------------------------------------------------------------------


class PasswordChangeRequest(_Request):
    current_password: Text = Field(
        max_length=MAX_PASSWORD_INPUT, repr=False, json_schema_extra={"format": "password"}
    )
    new_password: Text = Field(repr=False, json_schema_extra=NEW_PASSWORD_DOC)


# --- MFA ------------------------------------------------------------------------------------


class MfaSetupResponse(_Response):
    secret: str = Field(repr=False, description="Base32 TOTP secret (pending until enabled).")
    otpauth_uri: str = Field(repr=False, description="otpauth:// URI for a QR code.")


class MfaCodeRequest(_Request):
    code: Text = Field(
        max_length=MAX_CODE_INPUT,
        repr=False,
        description="A TOTP code, or (to disable) an unused backup code.",
        json_schema_extra=CODE_DOC,
    )


class MfaEnableResponse(_Response):
    backup_codes: list[str] = Field(
        repr=False, description="One-time backup codes, shown only this once."
    )


class MfaStatusResponse(_Response):
    enabled: bool
    backup_codes_remaining: int


# --- account recovery and verification ---------------------------------------------------------

MAX_ACCOUNT_TOKEN_INPUT = 256


class PasswordResetRequest(_Request):
    email: Text = Field(max_length=MAX_EMAIL_INPUT)


class PasswordResetConfirmRequest(_Request):
    token: Text = Field(max_length=MAX_ACCOUNT_TOKEN_INPUT, repr=False)
    new_password: Text = Field(repr=False, json_schema_extra=NEW_PASSWORD_DOC)


class VerifyEmailConfirmRequest(_Request):
    token: Text = Field(max_length=MAX_ACCOUNT_TOKEN_INPUT, repr=False)


class AcceptedResponse(_Response):
    status: Literal["accepted"] = "accepted"
