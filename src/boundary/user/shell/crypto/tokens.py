"""Access tokens (shell adapter): HS256 JWTs through PyJWT, with zero-downtime key rotation.

The accepted algorithm is fixed to HS256 and never read from the token: the PyJWS instance
here knows no other algorithm, and every decode passes ``algorithms=["HS256"]``. The HMAC key
is the configured secret string's UTF-8 bytes (CONTRACT §13).

Rotation. Tokens are signed with the current secret and carry ``kid``, a fingerprint of the
key (`key_id`: 16 hex digits of SHA-256 over a fixed label and the key — it reveals nothing a
token's own HMAC does not). `verify` picks the key by ``kid`` among the current secret and
every previous one, so the guide's rotation needs no downtime: make the new secret current and
list the old one as previous, wait one access-token lifetime, then drop the old one. A token
whose ``kid`` is missing or unknown is rejected without trying any key.

Claims. `verify` requires ``exp`` (checked with zero leeway), ``iat``, ``sub``, ``jti`` and
``iss`` equal to the issuer, and honours ``nbf`` when present. ``iat`` is not compared with the
clock: replicas' clocks differ slightly, and a token stamped a moment "in the future" by a
replica whose clock runs ahead is still one we signed.

Hot path. `verify` runs on every authenticated request — twice: the rate limiter picks the
caller's budget by ``sub``, then authentication — so the kid → key map and the key bytes are
prepared once here, and the payloads of recently verified tokens are kept (bounded, keyed by
the whole token string, so the signature check of an identical string cannot differ); the
claims, ``exp`` included, are still checked against the clock on every call.
"""

from __future__ import annotations

import base64
import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Final, TypeGuard

import orjson
from jwt import PyJWS, PyJWTError
from jwt.algorithms import HMACAlgorithm
from jwt.exceptions import InvalidKeyError

from boundary.observability.logging import get_logger

ALGORITHM: Final = "HS256"
REQUIRED_CLAIMS: Final = frozenset({"exp", "iat", "sub", "jti"})
MIN_KEY_BYTES: Final = 32  # RFC 7518 §3.2: at least the hash output size
_ALGORITHMS: Final = (ALGORITHM,)
_KID_LABEL: Final = b"boundary/jwt-kid/v1\x00"
_TIME_CLAIMS: Final = ("exp", "iat", "nbf")
VERIFIED_CACHE_SIZE: Final = 4096


def key_id(secret: str) -> str:
    """The ``kid`` naming `secret`'s key: 16 hex digits, the same on every replica."""
    return hashlib.sha256(_KID_LABEL + secret.encode("utf-8")).hexdigest()[:16]


class JwtTokens:
    """Signs claims with the current secret; verifies against the current and previous ones."""

    def __init__(
        self,
        current: str,
        previous: Sequence[str] = (),
        *,
        issuer: str = "boundary",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Raises `ValueError` for an empty current secret; empty previous ones are skipped."""
        if not current:
            raise ValueError("the JWT signing secret must not be empty")
        secrets_by_kid = {key_id(s): s for s in (current, *previous) if s}
        self._keys: Mapping[str, bytes] = {
            kid: _prepare(secret, kid) for kid, secret in secrets_by_kid.items()
        }
        self._kid = key_id(current)
        self._key = self._keys[self._kid]
        self._issuer = issuer
        self._clock = clock
        self._verified: dict[str, bytes] = {}  # token → signature-checked payload, oldest first
        self._jws = PyJWS(algorithms=[])
        self._jws.register_algorithm(ALGORITHM, _PreparedHS256())

    def sign(self, claims: Mapping[str, object]) -> str:
        """A compact JWS of `claims` plus ``iss``; datetimes in exp/iat/nbf become Unix time.

        Raises `ValueError` when a required claim is missing: such a token could never verify.
        """
        missing = REQUIRED_CLAIMS.difference(claims)
        if missing:
            raise ValueError(f"JWT claims missing: {', '.join(sorted(missing))}")
        payload = {**claims, "iss": self._issuer}
        for name in _TIME_CLAIMS:
            value = payload.get(name)
            if isinstance(value, datetime):
                if value.utcoffset() is None:  # naive: .timestamp() would assume local time
                    raise ValueError(f"JWT claim {name} must be a timezone-aware datetime")
                payload[name] = int(value.timestamp())
        return self._jws.encode(
            orjson.dumps(payload), self._key, algorithm=ALGORITHM, headers={"kid": self._kid}
        )

    def verify(self, token: str) -> dict[str, object] | None:
        """The claims of a valid, unexpired token we signed; None for anything else."""
        payload = self._verified.get(token)
        if payload is None:
            payload = self._verify_signature(token)
            if payload is None:
                return None
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = payload
        return self._valid_claims(payload)

    def _verify_signature(self, token: str) -> bytes | None:
        kid = _kid_hint(token)
        key = self._keys.get(kid) if kid is not None else None
        if key is None:
            return None
        try:
            decoded = self._jws.decode_complete(token, key, algorithms=_ALGORITHMS)
        except PyJWTError:
            return None
        if decoded["header"].get("kid") != kid:  # PyJWT's strict parse must agree
            return None
        payload: bytes = decoded["payload"]
        return payload

    def _valid_claims(self, payload: bytes) -> dict[str, object] | None:
        try:
            claims = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(claims, dict):
            return None
        now = self._clock()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", now)
        if not (_is_time(exp) and _is_time(iat) and _is_time(nbf)):
            return None
        if exp <= now or nbf > now:  # zero leeway
            return None
        if claims.get("iss") != self._issuer:
            return None
        if not (_is_text(claims.get("sub")) and _is_text(claims.get("jti"))):
            return None
        return claims


class _PreparedHS256(HMACAlgorithm):
    """HS256 over key bytes that `JwtTokens` prepared and length-checked once, up front.

    PyJWT would otherwise re-prepare the key and, for a short dev key, emit a warning on every
    call; here the check happens once and is logged once.
    """

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)

    def prepare_key(self, key: str | bytes) -> bytes:
        if not isinstance(key, bytes):
            raise InvalidKeyError("keys are prepared by JwtTokens")
        return key

    def check_key_length(self, key: bytes) -> str | None:
        return None


def _prepare(secret: str, kid: str) -> bytes:
    """The secret's UTF-8 bytes, checked as PyJWT would check an HMAC key."""
    try:
        key = HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret.encode("utf-8"))
    except InvalidKeyError:
        raise ValueError(f"JWT secret (kid {kid}) looks like an asymmetric key") from None
    if len(key) < MIN_KEY_BYTES:
        get_logger(__name__).warning(
            "jwt_secret_short", kid=kid, bytes=len(key), minimum_bytes=MIN_KEY_BYTES
        )
    return key


def _kid_hint(token: str) -> str | None:
    """The header's ``kid``, read cheaply to pick the key; PyJWT then parses strictly.

    (PyJWT's ``get_unverified_header`` would decode the whole token a second time, half the
    cost of a verify.)
    """
    segment = token.partition(".")[0]
    try:
        header = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:  # binascii.Error, orjson.JSONDecodeError, non-ASCII text
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _is_time(value: object) -> TypeGuard[float]:
    """A JSON number usable as a NumericDate (bool is an int in Python, but not here)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value != ""
