"""Contract of the crypto ports — password hasher, token codec, secret codes — run alike
against the fakes (tests/fakes/crypto.py) and the adapters (argon2-cffi, PyJWT, pyotp).

Argon2 runs with the cheapest parameters here: the contract is about behaviour, not cost.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import pytest

from boundary.user.ports import PasswordHasherPort, SecretCodes, TokenCodec
from boundary.user.shell.crypto import Argon2Passwords, JwtTokens, PyotpCodes
from tests.fakes.builders import NOW
from tests.fakes.clock import FixedClock
from tests.fakes.crypto import FakeCodes, FakeTokens, PlainPasswords

pytestmark = pytest.mark.anyio

CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1, "max_workers": 1}


@pytest.fixture(params=["fake", "argon2"])
def passwords(request: pytest.FixtureRequest) -> Iterator[PasswordHasherPort]:
    if request.param == "fake":
        yield PlainPasswords()
        return
    hasher = Argon2Passwords(**CHEAP)  # type: ignore[arg-type]
    yield hasher
    hasher.close()


async def test_a_hash_verifies_its_password_and_no_other(passwords: PasswordHasherPort) -> None:
    stored = await passwords.hash("correct horse")
    assert stored != "correct horse"
    assert await passwords.verify(stored, "correct horse")
    assert not await passwords.verify(stored, "correct horsE")
    assert not await passwords.verify(stored, "")


async def test_hashes_are_salted(passwords: PasswordHasherPort) -> None:
    assert await passwords.hash("same") != await passwords.hash("same")


async def test_a_fresh_hash_needs_no_rehash(passwords: PasswordHasherPort) -> None:
    assert not passwords.needs_rehash(await passwords.hash("pw"))


@pytest.mark.parametrize("garbage", ["", "plain", "$argon2id$", "new:", "a:b", "\udcff"])
async def test_a_malformed_hash_is_false_not_an_error(
    passwords: PasswordHasherPort, garbage: str
) -> None:
    assert await passwords.verify(garbage, "pw") is False


async def test_unicode_and_lone_surrogates_round_trip(passwords: PasswordHasherPort) -> None:
    for password in ("pässwörd 🔑", "lone \udc80 surrogate"):
        assert await passwords.verify(await passwords.hash(password), password)


async def test_the_dummy_verification_returns_nothing(passwords: PasswordHasherPort) -> None:
    assert await passwords.verify_dummy("anything") is None


@dataclass
class Codec:
    tokens: TokenCodec
    clock: FixedClock
    other: TokenCodec
    """Same kind, another secret: its tokens must not verify here."""
    rotated: TokenCodec
    """Signs with a new secret and keeps this one as previous: its tokens verify here and
    this codec's verify there."""


@pytest.fixture(params=["fake", "jwt"])
def codec(request: pytest.FixtureRequest) -> Codec:
    clock = FixedClock()
    kind: Callable[..., TokenCodec] = FakeTokens if request.param == "fake" else JwtTokens
    secret, new = "s" * 32, "n" * 32
    return Codec(
        tokens=kind(secret, clock=clock.timestamp),
        clock=clock,
        other=kind("o" * 32, clock=clock.timestamp),
        rotated=kind(new, [secret], clock=clock.timestamp),
    )


def claims(**overrides: object) -> dict[str, object]:
    return {
        "sub": "user-1",
        "jti": "j-1",
        "iat": NOW,
        "exp": NOW + timedelta(minutes=15),
        "sid": "session-1",
    } | overrides


def test_a_signed_token_verifies_to_its_claims(codec: Codec) -> None:
    verified = codec.tokens.verify(codec.tokens.sign(claims()))
    assert verified is not None
    assert verified["sub"] == "user-1"
    assert verified["jti"] == "j-1"
    assert verified["sid"] == "session-1"
    assert verified["exp"] == int((NOW + timedelta(minutes=15)).timestamp())


def test_a_token_expires_with_zero_leeway(codec: Codec) -> None:
    token = codec.tokens.sign(claims())
    codec.clock.advance(minutes=15, microseconds=-1)
    assert codec.tokens.verify(token) is not None
    codec.clock.advance(microseconds=1)
    assert codec.tokens.verify(token) is None


def test_a_token_not_yet_valid_does_not_verify(codec: Codec) -> None:
    assert codec.tokens.verify(codec.tokens.sign(claims(nbf=NOW + timedelta(seconds=1)))) is None


@pytest.mark.parametrize("missing", ["sub", "jti", "iat", "exp"])
def test_signing_without_a_required_claim_is_refused(codec: Codec, missing: str) -> None:
    incomplete = claims()
    del incomplete[missing]
    with pytest.raises(ValueError, match=missing):
        codec.tokens.sign(incomplete)


def test_a_naive_time_claim_is_refused(codec: Codec) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        codec.tokens.sign(claims(exp=datetime(2026, 1, 3, 13, 0)))


def test_another_secrets_token_does_not_verify(codec: Codec) -> None:
    assert codec.tokens.verify(codec.other.sign(claims())) is None


def test_a_tampered_token_does_not_verify(codec: Codec) -> None:
    token = codec.tokens.sign(claims())
    head, _, tail = token.rpartition(".")
    flipped = "A" if tail[0] != "A" else "B"
    assert codec.tokens.verify(f"{head}.{flipped}{tail[1:]}") is None
    assert codec.tokens.verify(token[:-1]) is None
    assert codec.tokens.verify("") is None
    assert codec.tokens.verify("not a token") is None


def test_tokens_of_the_previous_secret_verify_after_rotation(codec: Codec) -> None:
    assert codec.rotated.verify(codec.tokens.sign(claims())) is not None
    assert codec.tokens.verify(codec.rotated.sign(claims())) is None


@dataclass
class Codes:
    codes: SecretCodes
    code_at: Callable[[str, datetime], str]
    """The code an authenticator app shows for a secret at a moment."""


@pytest.fixture(params=["fake", "pyotp"])
def codes(request: pytest.FixtureRequest) -> Codes:
    if request.param == "fake":
        return Codes(FakeCodes(), FakeCodes.code_at)
    return Codes(PyotpCodes(), lambda secret, moment: pyotp.TOTP(secret).at(moment))


def test_totp_secrets_are_new_base32_each_time(codes: Codes) -> None:
    first, second = codes.codes.new_totp_secret(), codes.codes.new_totp_secret()
    assert first != second
    assert len(base64.b32decode(first + "=" * (-len(first) % 8))) >= 10


def test_the_provisioning_uri_names_the_secret_the_account_and_issuer(codes: Codes) -> None:
    secret = codes.codes.new_totp_secret()
    uri = codes.codes.totp_uri(secret, email="ann@example.com", issuer="Boundary")
    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    assert "ann%40example.com" in uri or "ann@example.com" in uri
    assert "issuer=Boundary" in uri


def test_a_code_matches_its_time_step_within_the_window(codes: Codes) -> None:
    secret = codes.codes.new_totp_secret()
    step = int(NOW.timestamp()) // 30
    code = codes.code_at(secret, NOW)
    assert codes.codes.totp_step(secret, code, at=NOW) == step
    assert codes.codes.totp_step(secret, code, at=NOW + timedelta(seconds=30)) == step
    assert codes.codes.totp_step(secret, code, at=NOW - timedelta(seconds=30)) == step
    assert codes.codes.totp_step(secret, code, at=NOW + timedelta(seconds=60)) is None
    assert (
        codes.codes.totp_step(secret, code, at=NOW + timedelta(seconds=30), valid_window=0) is None
    )


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "１２３４５６", " 12345"])
def test_a_code_that_is_not_six_ascii_digits_never_matches(codes: Codes, code: str) -> None:
    secret = codes.codes.new_totp_secret()
    assert codes.codes.totp_step(secret, code, at=NOW, valid_window=10) is None


def test_a_naive_moment_or_negative_window_is_refused(codes: Codes) -> None:
    secret = codes.codes.new_totp_secret()
    with pytest.raises(ValueError, match="timezone-aware"):
        codes.codes.totp_step(secret, "123456", at=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="negative"):
        codes.codes.totp_step(secret, "123456", at=NOW, valid_window=-1)


def test_backup_codes_are_distinct_and_typable(codes: Codes) -> None:
    batch = codes.codes.new_backup_codes(10)
    assert len(batch) == len(set(batch)) == 10
    assert all(re.fullmatch(r"[a-z0-9-]{8,}", code) for code in batch)
    assert set(batch).isdisjoint(codes.codes.new_backup_codes(10))


def test_session_tokens_are_new_url_safe_and_long(codes: Codes) -> None:
    tokens = {codes.codes.new_session_token() for _ in range(20)}
    assert len(tokens) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32,}", token) for token in tokens)
