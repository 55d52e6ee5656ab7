"""The admin console's browser session and CSRF tokens (HTTP shell).

The cookie `boundary_admin` holds the raw token of a `user_sessions` row (opened by the same
login as the API's), so the session is listed among the user's sessions and any revocation
ends it. CSRF tokens are HMAC-SHA256 with `SESSION_SECRET` over the session id (signed in) or
over a random pre-session value kept in its own cookie (the sign-in form): a page of another
site can neither read nor compute them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from starlette.responses import Response

COOKIE: Final = "boundary_admin"
LOGIN_COOKIE: Final = "boundary_admin_login"
PATH: Final = "/admin"
CSRF_FIELD: Final = "csrf"
_SESSION_PURPOSE: Final = b"boundary-admin-csrf:session:"
_LOGIN_PURPOSE: Final = b"boundary-admin-csrf:login:"


class Csrf:
    """Derives and checks CSRF tokens with the session secret."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def for_session(self, session_id: str) -> str:
        return self._mac(_SESSION_PURPOSE, session_id)

    def for_login(self, nonce: str) -> str:
        return self._mac(_LOGIN_PURPOSE, nonce)

    def valid_for_session(self, session_id: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.for_session(session_id), token)

    def valid_for_login(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or token is None:
            return False
        return hmac.compare_digest(self.for_login(nonce), token)

    def _mac(self, purpose: bytes, value: str) -> str:
        return hmac.new(self._key, purpose + value.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def set_cookie(response: Response, name: str, value: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path=PATH, secure=secure, httponly=True, samesite="strict")
