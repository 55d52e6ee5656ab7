"""Fakes of the crypto ports (`user.ports`): instant, deterministic, readable.

- `PlainPasswords`: hashes are ``new:<salt>:<password>`` — salted (two hashes of one password
  differ) but not secret; ``old:…`` hashes verify and need a rehash. Counts verifications.
- `FakeTokens`: base64url JSON claims plus a SHA-256 tag over a secret, checked for expiry
  against an injected clock exactly as `JwtTokens` is (zero leeway, iss, sub, jti).
- `FakeCodes`: the TOTP code of a time step is that step as six digits, whatever the secret
  (`code_at` gives it); secrets, backup codes and session tokens count up.

Each passes the contract suite its real adapter passes: tests/contract/test_crypto_ports.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

from tests.fakes.builders import NOW

REQUIRED_CLAIMS = frozenset({"exp", "iat", "sub", "jti"})
TIME_CLAIMS = ("exp", "iat", "nbf")
TOTP_INTERVAL = 30


class PlainPasswords:
    """`PasswordHasherPort` without the work: see the module docstring for the format."""

    def __init__(self) -> None:
        self.verifications = 0
        """`verify` and `verify_dummy` calls: a login must spend exactly one, found or not."""
        self.on_hash: Callable[[], Awaitable[object]] | None = None
        """Awaited inside `hash`, to let a test interleave work with a slow hash."""
        self._salts = 0

    @staticmethod
    def stored(password: str, *, current: bool = True, salt: int = 0) -> str:
        """The hash of `password` as it would be stored: current, or from older parameters."""
        return f"{'new' if current else 'old'}:{salt}:{password}"

    async def hash(self, password: str) -> str:
        if self.on_hash is not None:
            await self.on_hash()
        self._salts += 1
        return self.stored(password, salt=self._salts)

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        scheme, salt, stored = _split(password_hash)
        return scheme in ("new", "old") and salt.isdigit() and stored == password

    def needs_rehash(self, password_hash: str) -> bool:
        return _split(password_hash)[0] != "new"

    async def verify_dummy(self, password: str) -> None:
        self.verifications += 1


def _split(password_hash: str) -> tuple[str, str, str]:
    parts = password_hash.split(":", 2)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else ("", "", "")


class FakeTokens:
    """`TokenCodec` with the adapter's rules and none of its cryptography. `clock` is Unix
    time, as `JwtTokens`'s is; `previous` secrets still verify (key rotation)."""

    def __init__(
        self,
        secret: str = "fake-secret",
        previous: Sequence[str] = (),
        *,
        issuer: str = "boundary",
        clock: Callable[[], float] = NOW.timestamp,
    ) -> None:
        if not secret:
            raise ValueError("the signing secret must not be empty")
        self._secret = secret
        self._secrets = (secret, *(s for s in previous if s))
        self._issuer = issuer
        self._clock = clock

    def sign(self, claims: Mapping[str, object]) -> str:
        missing = REQUIRED_CLAIMS.difference(claims)
        if missing:
            raise ValueError(f"claims missing: {', '.join(sorted(missing))}")
        payload = {**claims, "iss": self._issuer}
        for name in TIME_CLAIMS:
            value = payload.get(name)
            if isinstance(value, datetime):
                if value.utcoffset() is None:
                    raise ValueError(f"claim {name} must be a timezone-aware datetime")
                payload[name] = int(value.timestamp())
        body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode()
        return f"{body}.{_tag(self._secret, body)}"

    def verify(self, token: str) -> dict[str, object] | None:
        body, _, tag = token.partition(".")
        if not any(hmac.compare_digest(tag, _tag(s, body)) for s in self._secrets):
            return None
        claims = self.read(token)
        if claims is None:
            return None
        now = self._clock()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", now)
        times = (exp, iat, nbf)
        if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in times):
            return None
        if exp <= now or nbf > now:  # type: ignore[operator]
            return None
        if claims.get("iss") != self._issuer:
            return None
        if not all(isinstance(claims.get(n), str) and claims.get(n) for n in ("sub", "jti")):
            return None
        return claims

    @staticmethod
    def read(token: str) -> dict[str, object] | None:
        """The claims a token carries, checking nothing: for assertions on what was signed."""
        body = token.partition(".")[0]
        try:
            claims = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return None
        return claims if isinstance(claims, dict) else None


def _tag(secret: str, body: str) -> str:
    return hashlib.sha256(f"{secret}\n{body}".encode()).hexdigest()


class FakeCodes:
    """`SecretCodes` whose TOTP codes a test can compute: `code_at(secret, moment)`."""

    def __init__(self) -> None:
        self._issued = 0

    def _next(self) -> int:
        self._issued += 1
        return self._issued

    @staticmethod
    def code_at(secret: str, moment: datetime) -> str:
        """The code an authenticator app would show at `moment` (the secret does not matter)."""
        return f"{int(moment.timestamp()) // TOTP_INTERVAL % 1_000_000:06d}"

    def new_totp_secret(self) -> str:
        return base64.b32encode(self._next().to_bytes(20, "big")).decode()

    def totp_uri(self, secret: str, *, email: str, issuer: str = "Boundary") -> str:
        return (
            f"otpauth://totp/{quote(issuer)}:{quote(email)}?secret={secret}&issuer={quote(issuer)}"
        )

    def totp_step(
        self, secret: str, code: str, *, at: datetime, valid_window: int = 1
    ) -> int | None:
        if at.utcoffset() is None:
            raise ValueError("at must be a timezone-aware datetime")
        if valid_window < 0:
            raise ValueError("valid_window must not be negative")
        if len(code) != 6 or not (code.isascii() and code.isdigit()):
            return None
        now_step = int(at.timestamp()) // TOTP_INTERVAL
        steps = range(max(0, now_step - valid_window), now_step + valid_window + 1)
        return next((step for step in steps if f"{step % 1_000_000:06d}" == code), None)

    def new_backup_codes(self, count: int = 10) -> list[str]:
        return [f"code-{self._next():04d}-abcd" for _ in range(count)]

    def new_session_token(self) -> str:
        return f"fake-session-token-{self._next():016d}"
