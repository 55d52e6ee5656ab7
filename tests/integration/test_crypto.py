"""Crypto adapters: argon2id passwords, HS256 access tokens with rotation, TOTP and tokens."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

import jwt
import pyotp
import pytest

from boundary.user.shell.crypto import (
    Argon2Passwords,
    JwtTokens,
    PyotpCodes,
    key_id,
    new_backup_codes,
    new_session_token,
    new_totp_secret,
    totp_step,
    totp_uri,
    verify_totp,
)
from boundary.user.shell.crypto.otp import BACKUP_CODE_ALPHABET
from boundary.user.shell.crypto.passwords import default_workers
from boundary.user.shell.crypto.tokens import VERIFIED_CACHE_SIZE

pytestmark = pytest.mark.anyio

NOW_DT = datetime(2026, 1, 3, 12, 0, 0, tzinfo=UTC)
NOW = NOW_DT.timestamp()
OLD = "old-secret-0123456789abcdef0123456789abcdef0123456789abcdef01234567"
NEW = "new-secret-0123456789abcdef0123456789abcdef0123456789abcdef01234567"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


# --- passwords ------------------------------------------------------------------------------


@pytest.fixture
def passwords() -> Iterator[Argon2Passwords]:
    hasher = Argon2Passwords(**CHEAP)
    yield hasher
    hasher.close()


async def test_hash_verify_round_trip(passwords: Argon2Passwords) -> None:
    """A hash verifies its own password and is an argon2id PHC string with a fresh salt."""
    first = await passwords.hash("correct horse battery staple")
    second = await passwords.hash("correct horse battery staple")
    assert first.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert first != second
    assert await passwords.verify(first, "correct horse battery staple")


async def test_wrong_password_is_false(passwords: Argon2Passwords) -> None:
    """A different password, even by one character, does not verify."""
    stored = await passwords.hash("correct horse battery staple")
    assert not await passwords.verify(stored, "correct horse battery stapl")
    assert not await passwords.verify(stored, "")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not a hash",
        "$2b$12$abcdefghijklmnopqrstuuJ3Lr5Y0bpo7Wy8H2Q6y2o9b4h1fE5cu",  # bcrypt
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$!!!",
        "$argon2id$v=19$m=8,t=1,p=1",
        "$argon2id$ünïcode",
    ],
)
async def test_garbage_hash_is_false(passwords: Argon2Passwords, garbage: str) -> None:
    """A malformed or foreign hash is a failed verification, never an exception."""
    assert await passwords.verify(garbage, "password") is False
    assert passwords.needs_rehash(garbage)


async def test_lone_surrogate_password_hashes_and_verifies(passwords: Argon2Passwords) -> None:
    """JSON can carry a lone surrogate; it hashes like any other string instead of raising."""
    stored = await passwords.hash("pa\ud800ss")
    assert await passwords.verify(stored, "pa\ud800ss")
    assert not await passwords.verify(stored, "pass")


async def test_needs_rehash_when_parameters_rose(passwords: Argon2Passwords) -> None:
    """A hash made with cheaper parameters needs a rehash under stronger ones, not its own."""
    stored = await passwords.hash("password")
    stronger = Argon2Passwords(time_cost=2, memory_cost=16, parallelism=1)
    try:
        assert not passwords.needs_rehash(stored)
        assert stronger.needs_rehash(stored)
        assert await stronger.verify(stored, "password")  # old hashes keep working
        assert not stronger.needs_rehash(await stronger.hash("password"))
    finally:
        stronger.close()


async def test_verify_dummy_returns_none(passwords: Argon2Passwords) -> None:
    """The dummy verification runs (the first call builds the dummy hash) and yields None."""
    first = await asyncio.gather(passwords.verify_dummy("whatever"))
    second = await asyncio.gather(passwords.verify_dummy("whatever"))
    assert [*first, *second] == [None, None]
    await passwords.warm_up()


async def test_concurrent_first_dummy_verifications(passwords: Argon2Passwords) -> None:
    """Several first unknown-email logins at once share one dummy hash without errors."""
    results = await asyncio.gather(*(passwords.verify_dummy(f"pw{i}") for i in range(8)))
    assert results == [None] * 8


async def test_hashing_happens_off_the_event_loop(passwords: Argon2Passwords) -> None:
    """A coroutine scheduled alongside a hash runs before the hash completes."""
    order: list[str] = []

    async def hash_it() -> None:
        await passwords.hash("password")
        order.append("hashed")

    async def tick() -> None:
        order.append("ticked")

    await asyncio.gather(hash_it(), tick())
    assert order == ["ticked", "hashed"]


async def test_verification_happens_off_the_event_loop(passwords: Argon2Passwords) -> None:
    """Verify and the dummy verify also leave the loop free while they run."""
    stored = await passwords.hash("password")
    order: list[str] = []

    async def verify_it() -> None:
        await passwords.verify(stored, "password")
        await passwords.verify_dummy("password")
        order.append("verified")

    async def tick() -> None:
        order.append("ticked")

    await asyncio.gather(verify_it(), tick())
    assert order == ["ticked", "verified"]


async def test_defaults_are_at_or_above_owasp_minimum() -> None:
    """The default parameters are argon2id with ≥ 19 MiB, ≥ 2 passes (OWASP's minimum)."""
    hasher = Argon2Passwords()
    try:
        stored = await hasher.hash("correct horse battery staple")
        assert await hasher.verify(stored, "correct horse battery staple")
        assert not hasher.needs_rehash(stored)
    finally:
        hasher.close()
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert stored.startswith("$argon2id$v=19$")
    assert int(params["m"]) >= 19 * 1024
    assert int(params["t"]) >= 2
    assert int(params["p"]) >= 1
    assert 1 <= default_workers() <= 4


# --- access tokens ----------------------------------------------------------------------------


def claims(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "sub": "8c6a1c6e-4a31-4d55-9c1e-5a4e1b2f3c4d",
        "sid": "1b7f0e0a-0d7c-4b0e-8a44-2d8b2c6f9e10",
        "role": "user",
        "typ": "access",
        "iat": int(NOW),
        "exp": int(NOW) + 900,
        "jti": "0f6b1c2d-3e4f-4a5b-8c7d-9e0f1a2b3c4d",
    }
    base.update(overrides)
    return base


def tokens(current: str = NEW, previous: tuple[str, ...] = (), now: float = NOW) -> JwtTokens:
    return JwtTokens(current, previous, clock=lambda: now)


def b64(data: Mapping[str, object] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def handmade(header: Mapping[str, object], payload: Mapping[str, object], key: bytes | None) -> str:
    """A token with any header, HMAC-SHA256-signed with `key` (or unsigned)."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), "sha256").digest()
    return f"{signing_input}.{b64(signature)}"


def test_round_trip() -> None:
    """A signed token verifies to its claims plus the issuer, with kid and alg in the header."""
    codec = tokens()
    token = codec.sign(claims())
    assert codec.verify(token) == {**claims(), "iss": "boundary"}
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "HS256", "kid": key_id(NEW), "typ": "JWT"}


def test_a_token_verified_before_still_expires_on_time() -> None:
    """Recently verified tokens skip the HMAC, never the claim checks: exp is read each time."""
    now = [NOW]
    codec = JwtTokens(NEW, clock=lambda: now[0])
    token = codec.sign(claims(exp=int(NOW) + 10))
    assert codec.verify(token) is not None
    assert codec.verify(token) is not None
    now[0] = NOW + 10
    assert codec.verify(token) is None


def test_verification_stays_right_past_the_cache_bound() -> None:
    """More distinct tokens than the cache holds: each still verifies, a forgery never does."""
    codec = tokens()
    signed = [codec.sign(claims(jti=f"j{i}")) for i in range(VERIFIED_CACHE_SIZE + 5)]
    assert all(codec.verify(token) is not None for token in signed)
    assert codec.verify(signed[0]) == {**claims(jti="j0"), "iss": "boundary"}
    forged = signed[1][:-2] + ("AA" if not signed[1].endswith("AA") else "BB")
    assert codec.verify(forged) is None


def test_sign_accepts_datetimes_and_requires_claims() -> None:
    """exp/iat as datetimes become Unix time; a token missing a required claim is refused."""
    codec = tokens()
    token = codec.sign(claims(iat=NOW_DT, exp=NOW_DT + timedelta(minutes=15)))
    verified = codec.verify(token)
    assert verified is not None
    assert (verified["iat"], verified["exp"]) == (int(NOW), int(NOW) + 900)
    without_jti = claims()
    del without_jti["jti"]
    with pytest.raises(ValueError, match="jti"):
        codec.sign(without_jti)
    with pytest.raises(ValueError, match="timezone-aware"):
        codec.sign(claims(exp=datetime(2026, 1, 3, 12, 15)))  # naive on purpose


def test_kid_is_a_fingerprint_not_the_key() -> None:
    """The kid is 16 hex digits of a labelled SHA-256: stable, and no part of the secret."""
    assert re.fullmatch(r"[0-9a-f]{16}", key_id(NEW))
    assert key_id(NEW) == key_id(NEW) != key_id(OLD)
    assert key_id(NEW) != hashlib.sha256(NEW.encode()).hexdigest()[:16]
    assert key_id(NEW) not in NEW


@pytest.mark.parametrize("segment", [0, 1, 2])
def test_tampered_token_is_none(segment: int) -> None:
    """Changing the header, payload or signature invalidates the token."""
    codec = tokens()
    parts = codec.sign(claims()).split(".")
    if segment == 1:
        parts[1] = b64({**claims(role="admin"), "iss": "boundary"})
    elif segment == 0:
        parts[0] = b64({"alg": "HS256", "kid": key_id(NEW), "typ": "JWT", "x": 1})
    else:
        middle = len(parts[2]) // 2
        flipped = "A" if parts[2][middle] != "A" else "B"
        parts[2] = parts[2][:middle] + flipped + parts[2][middle + 1 :]
    assert codec.verify(".".join(parts)) is None


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9..", "\u00e9.\u00e9.\u00e9"],
)
def test_malformed_token_is_none(token: str) -> None:
    assert tokens().verify(token) is None


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "", None])
def test_unsigned_alg_none_is_none(alg: str | None) -> None:
    """alg none in any spelling (or missing) is rejected, with or without a signature."""
    header = {"alg": alg, "kid": key_id(NEW), "typ": "JWT"}
    payload = {**claims(), "iss": "boundary"}
    assert tokens().verify(handmade(header, payload, None)) is None
    assert tokens().verify(handmade(header, payload, NEW.encode())) is None


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_none(alg: str) -> None:
    """A token correctly signed with the right key but another HMAC algorithm is refused."""
    payload = {**claims(), "iss": "boundary"}
    token = jwt.encode(payload, NEW.encode(), algorithm=alg, headers={"kid": key_id(NEW)})
    assert tokens().verify(token) is None


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "hs256", "HS256 "])
def test_key_confusion_headers_are_none(alg: str) -> None:
    """An RS256-looking header HMAC-signed with the secret (key confusion) is refused."""
    header = {"alg": alg, "kid": key_id(NEW), "typ": "JWT"}
    token = handmade(header, {**claims(), "iss": "boundary"}, NEW.encode())
    assert tokens().verify(token) is None


def test_handmade_hs256_control() -> None:
    """The hand-made tokens above fail for their header alone: with HS256 the same verifies."""
    header = {"alg": "HS256", "kid": key_id(NEW), "typ": "JWT"}
    token = handmade(header, {**claims(), "iss": "boundary"}, NEW.encode())
    assert tokens().verify(token) is not None


def test_expiry_has_zero_leeway() -> None:
    """Valid until the second before exp; from exp on it is None."""
    token = tokens().sign(claims(exp=int(NOW) + 10))
    assert tokens(now=NOW + 9.999).verify(token) is not None
    assert tokens(now=NOW + 10).verify(token) is None
    assert tokens(now=NOW + 3600).verify(token) is None


def test_not_before_is_honoured() -> None:
    token = tokens().sign(claims(nbf=int(NOW) + 60))
    assert tokens().verify(token) is None
    assert tokens(now=NOW + 60).verify(token) is not None


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "jti", "iss"])
def test_missing_required_claim_is_none(claim: str) -> None:
    """A token we could have signed, but without one required claim, is refused."""
    payload = {**claims(), "iss": "boundary"}
    del payload[claim]
    token = jwt.encode(payload, NEW.encode(), algorithm="HS256", headers={"kid": key_id(NEW)})
    assert tokens().verify(token) is None


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "2099-01-01"),
        ("exp", True),
        ("exp", None),
        ("iat", "now"),
        ("sub", 42),
        ("sub", ""),
        ("jti", ["x"]),
        ("iss", "someone-else"),
    ],
)
def test_ill_typed_claim_is_none(claim: str, value: object) -> None:
    payload = {**claims(), "iss": "boundary", claim: value}
    token = jwt.encode(payload, NEW.encode(), algorithm="HS256", headers={"kid": key_id(NEW)})
    assert tokens().verify(token) is None


def test_payload_that_is_not_an_object_is_none() -> None:
    header = {"alg": "HS256", "kid": key_id(NEW), "typ": "JWT"}
    signing_input = f"{b64(header)}.{b64(b'[1, 2, 3]')}"
    signature = hmac.new(NEW.encode(), signing_input.encode(), "sha256").digest()
    assert tokens().verify(f"{signing_input}.{b64(signature)}") is None


def test_token_without_kid_is_none() -> None:
    """Even correctly signed with the current key, a token without kid is refused."""
    token = jwt.encode({**claims(), "iss": "boundary"}, NEW.encode(), algorithm="HS256")
    assert tokens().verify(token) is None


@pytest.mark.parametrize("kid", ["0000000000000000", key_id(OLD), 7, ["x"]])
def test_unknown_kid_is_none(kid: object) -> None:
    """A kid naming no configured key (or not a string) is refused."""
    header = {"alg": "HS256", "kid": kid, "typ": "JWT"}
    token = handmade(header, {**claims(), "iss": "boundary"}, NEW.encode())
    assert tokens().verify(token) is None


def test_kid_of_one_key_with_signature_of_another_is_none() -> None:
    """The kid picks the key: a signature by the old key under the new key's kid fails."""
    payload = {**claims(), "iss": "boundary"}
    token = jwt.encode(payload, OLD.encode(), algorithm="HS256", headers={"kid": key_id(NEW)})
    assert tokens(NEW, (OLD,)).verify(token) is None


def test_rotation_previous_secret_verifies_only_while_listed() -> None:
    """Step 1 of a rotation: old tokens keep working; after the old secret is dropped, not."""
    old_token = tokens(OLD).sign(claims())
    assert tokens(NEW, (OLD,)).verify(old_token) is not None
    assert tokens(NEW).verify(old_token) is None


def test_rotation_current_token_survives_becoming_previous() -> None:
    """A token signed by the current secret verifies after that secret moves to previous."""
    token = tokens(OLD).sign(claims())
    rotated = tokens(NEW, (OLD,))
    assert rotated.verify(token) is not None
    assert jwt.get_unverified_header(rotated.sign(claims()))["kid"] == key_id(NEW)


def test_secret_listed_twice_is_harmless() -> None:
    token = tokens(NEW).sign(claims())
    assert tokens(NEW, (NEW, "", OLD)).verify(token) is not None


def test_key_is_the_utf8_bytes_of_the_secret() -> None:
    """A token made directly with PyJWT, the secret's UTF-8 bytes and its kid verifies."""
    secret = "ключ-секрет-🔑-" + "x" * 20
    payload = {**claims(), "iss": "boundary"}
    token = jwt.encode(
        payload, secret.encode("utf-8"), algorithm="HS256", headers={"kid": key_id(secret)}
    )
    assert tokens(secret).verify(token) == payload


def test_short_secret_works_without_warnings() -> None:
    """A short dev secret signs and verifies; PyJWT's key-length warning is not raised per call."""
    codec = tokens("short")
    assert codec.verify(codec.sign(claims())) is not None


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        JwtTokens("", ())


def test_custom_issuer() -> None:
    ours = JwtTokens(NEW, (), issuer="boundary-staging", clock=lambda: NOW)
    token = ours.sign(claims())
    assert ours.verify(token) is not None
    assert tokens().verify(token) is None


# --- TOTP, backup codes, session tokens -------------------------------------------------------


def code_at(moment: datetime) -> str:
    return str(pyotp.TOTP(TOTP_SECRET).at(moment))


def test_totp_current_code() -> None:
    assert verify_totp(TOTP_SECRET, code_at(NOW_DT), at=NOW_DT)


def test_totp_previous_and_next_window() -> None:
    """One step either side is accepted with valid_window=1, not with valid_window=0."""
    previous = code_at(NOW_DT - timedelta(seconds=30))
    following = code_at(NOW_DT + timedelta(seconds=30))
    assert verify_totp(TOTP_SECRET, previous, at=NOW_DT, valid_window=1)
    assert verify_totp(TOTP_SECRET, following, at=NOW_DT, valid_window=1)
    assert not verify_totp(TOTP_SECRET, previous, at=NOW_DT, valid_window=0)


def test_totp_far_past_code_is_refused() -> None:
    assert not verify_totp(TOTP_SECRET, code_at(NOW_DT - timedelta(minutes=10)), at=NOW_DT)


def test_totp_step_identifies_the_match() -> None:
    step = int(NOW) // 30
    assert totp_step(TOTP_SECRET, code_at(NOW_DT), at=NOW_DT) == step
    earlier = code_at(NOW_DT - timedelta(seconds=30))
    assert totp_step(TOTP_SECRET, earlier, at=NOW_DT) == step - 1
    assert totp_step(TOTP_SECRET, code_at(NOW_DT - timedelta(hours=1)), at=NOW_DT) is None


def full_width(code: str) -> str:
    return "".join(chr(ord(c) - ord("0") + ord("\uff10")) for c in code)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:5],
        lambda c: c + "0",
        lambda c: c[:5] + "a",
        lambda c: f" {c}",
        lambda c: f"{c[:3]} {c[3:]}",
        full_width,  # NFKC-equal to the right code: pyotp alone would accept it
        lambda c: "",
    ],
)
def test_totp_non_six_digit_input_is_refused(mangle: Callable[[str], str]) -> None:
    """Only exactly six ASCII digits count: no spaces, letters, other lengths or other digits."""
    assert not verify_totp(TOTP_SECRET, mangle(code_at(NOW_DT)), at=NOW_DT)


def test_totp_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_totp(TOTP_SECRET, code_at(NOW_DT), at=NOW_DT.replace(tzinfo=None))


def test_new_totp_secret_and_uri() -> None:
    """A 160-bit base32 secret that pyotp accepts, and an otpauth URI naming issuer and email."""
    secret = new_totp_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) == 20
    assert new_totp_secret() != secret
    uri = totp_uri(secret, email="alice@example.com")
    assert uri.startswith("otpauth://totp/Boundary:alice%40example.com?")
    assert f"secret={secret}" in uri
    assert "issuer=Boundary" in uri
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert verify_totp(secret, parsed.at(NOW_DT), at=NOW_DT)


def test_backup_codes() -> None:
    """Ten unique codes like abcd-efgh-ijkl from an unambiguous alphabet, ≥ 50 bits each."""
    codes = new_backup_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    group = f"[{BACKUP_CODE_ALPHABET}]{{4}}"
    for code in codes:
        assert re.fullmatch(f"{group}-{group}-{group}", code)
    assert 12 * math.log2(len(set(BACKUP_CODE_ALPHABET))) >= 50
    assert not set("01ilo") & set(BACKUP_CODE_ALPHABET)
    assert len(new_backup_codes(3)) == 3


def test_session_token() -> None:
    """43 URL-safe characters (256 bits), different every time."""
    made = {new_session_token() for _ in range(100)}
    assert len(made) == 100
    for token in made:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)
        assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_pyotp_codes_object_delegates() -> None:
    codes = PyotpCodes()
    secret = codes.new_totp_secret()
    assert codes.totp_uri(secret, email="a@b.c", issuer="X").startswith("otpauth://totp/X:")
    now_code = str(pyotp.TOTP(secret).at(NOW_DT))
    step = int(NOW_DT.timestamp()) // 30
    assert codes.totp_step(secret, now_code, at=NOW_DT, valid_window=0) == step
    assert len(codes.new_backup_codes(2)) == 2
    assert len(codes.new_session_token()) >= 43
