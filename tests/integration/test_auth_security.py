"""Bearer-token attacks against `GET /api/v1/auth/me`, on SQLite, PostgreSQL and MySQL/MariaDB.

Every refusal must be the same 401 problem+json with a `WWW-Authenticate: Bearer` challenge.
Tokens are forged by hand (header, claims and HMAC built here, not by PyJWT) so each test
controls exactly one defect; `test_a_hand_forged_token_with_nothing_wrong_is_accepted` proves
the forger itself makes tokens the service accepts, so every refusal below is caused by the
one defect and not by the forger.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from boundary.user.core import sessions as session_rules
from boundary.user.core.model import User
from boundary.user.shell.crypto.tokens import JwtTokens, key_id
from tests.support.user_api import UserApi, user_api

pytestmark = pytest.mark.anyio

ME = "/api/v1/auth/me"
NO_RATE_LIMIT = {"BOUNDARY_RATE_LIMIT__ENABLED": "false"}
OLD_SECRET = "old-jwt-secret-for-rotation-tests-0123456789abcdef"
NEW_SECRET = "new-jwt-secret-for-rotation-tests-fedcba9876543210"
ROGUE_SECRET = "a-jwt-secret-this-deployment-never-configured-000"

Claims = dict[str, Any]


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[UserApi]:
    async with user_api(database_url, **NO_RATE_LIMIT) as built:
        yield built


# --- hand-made JWTs ---------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def encode_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def forge(
    header: dict[str, Any],
    claims: Claims,
    key: bytes | None,
    digest: Callable[..., Any] = hashlib.sha256,
) -> str:
    """A compact JWS of `header` and `claims`, HMAC-signed with `key` (None: empty signature)."""
    signing_input = f"{encode_json(header)}.{encode_json(claims)}"
    if key is None:
        return f"{signing_input}."
    signature = hmac.new(key, signing_input.encode("ascii"), digest).digest()
    return f"{signing_input}.{b64url(signature)}"


def claims_of(token: str) -> Claims:
    """The payload of a compact JWS, unverified."""
    payload: Claims = json.loads(unb64url(token.split(".")[1]))
    return payload


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def secret_of(api: UserApi) -> str:
    secret: str = api.system.settings.security.jwt_secret.get_secret_value()
    return secret


def hs256(api: UserApi, claims: Claims) -> str:
    """`claims` signed exactly as the service signs: HS256, its secret's UTF-8 bytes, its kid."""
    secret = secret_of(api)
    header = {"alg": "HS256", "typ": "JWT", "kid": key_id(secret)}
    return forge(header, claims, secret.encode("utf-8"))


async def live_claims(api: UserApi, user: User) -> Claims:
    """The claims of a genuine access token for a new live session of `user`."""
    headers = await api.token_for(user)
    return claims_of(headers["Authorization"].removeprefix("Bearer "))


async def me(api: UserApi, headers: dict[str, str]) -> httpx.Response:
    return await api.client.get(ME, headers=headers)


def assert_refused(response: httpx.Response) -> None:
    """The one 401 of a refused bearer: problem+json with a Bearer challenge."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    body = response.json()
    assert body["status"] == 401
    assert "access_token" not in response.text


# --- control ----------------------------------------------------------------------------------


async def test_a_hand_forged_token_with_nothing_wrong_is_accepted(api: UserApi) -> None:
    user = await api.make_user()
    claims = await live_claims(api, user)

    response = await me(api, bearer(hs256(api, claims)))

    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(user.id)


# --- signature --------------------------------------------------------------------------------


async def test_a_tampered_signature_is_refused(api: UserApi) -> None:
    token = (await api.token_for(await api.make_user()))["Authorization"].removeprefix("Bearer ")
    head, payload, signature = token.split(".")
    # The first character carries six full bits of the MAC (the last one also carries padding).
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]

    assert_refused(await me(api, bearer(f"{head}.{payload}.{flipped}")))


async def test_a_tampered_payload_with_the_original_signature_is_refused(api: UserApi) -> None:
    user = await api.make_user("user")
    token = (await api.token_for(user))["Authorization"].removeprefix("Bearer ")
    head, _, signature = token.split(".")
    claims = claims_of(token)
    assert claims["role"] == "user"
    escalated = encode_json({**claims, "role": "admin"})

    assert_refused(await me(api, bearer(f"{head}.{escalated}.{signature}")))
    assert (await me(api, bearer(token))).status_code == 200


# --- algorithm --------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_an_unsigned_alg_none_token_is_refused(api: UserApi, alg: str) -> None:
    claims = await live_claims(api, await api.make_user())
    header = {"alg": alg, "typ": "JWT", "kid": key_id(secret_of(api))}

    assert_refused(await me(api, bearer(forge(header, claims, None))))


@pytest.mark.parametrize(("alg", "digest"), [("HS384", hashlib.sha384), ("HS512", hashlib.sha512)])
async def test_other_hmac_algorithms_with_the_right_secret_are_refused(
    api: UserApi, alg: str, digest: Callable[..., Any]
) -> None:
    """Only HS256 is accepted, even when the signature is valid for the alg the header names."""
    claims = await live_claims(api, await api.make_user())
    secret = secret_of(api)
    header = {"alg": alg, "typ": "JWT", "kid": key_id(secret)}

    assert_refused(await me(api, bearer(forge(header, claims, secret.encode("utf-8"), digest))))


async def test_an_rs256_header_over_an_hmac_signature_is_refused(api: UserApi) -> None:
    """Algorithm confusion: the header says RS256, the MAC is HS256 with the shared secret."""
    claims = await live_claims(api, await api.make_user())
    secret = secret_of(api)
    header = {"alg": "RS256", "typ": "JWT", "kid": key_id(secret)}

    assert_refused(await me(api, bearer(forge(header, claims, secret.encode("utf-8")))))


# --- claims -----------------------------------------------------------------------------------


async def test_an_expired_token_is_refused(api: UserApi) -> None:
    claims = await live_claims(api, await api.make_user())
    now = int(time.time())
    expired = {**claims, "iat": now - 1000, "exp": now - 100}

    assert_refused(await me(api, bearer(hs256(api, expired))))


async def test_a_token_issued_far_in_the_future_is_refused(api: UserApi) -> None:
    claims = await live_claims(api, await api.make_user())
    later = int(time.time()) + 24 * 3600
    future = {**claims, "iat": later, "exp": later + 900}

    assert_refused(await me(api, bearer(hs256(api, future))))


@pytest.mark.parametrize("missing", ["sub", "sid", "exp", "iat", "jti", "token_type", "role"])
async def test_a_token_missing_a_required_claim_is_refused(api: UserApi, missing: str) -> None:
    claims = await live_claims(api, await api.make_user())
    assert missing in claims
    del claims[missing]

    assert_refused(await me(api, bearer(hs256(api, claims))))


@pytest.mark.parametrize("token_type", ["refresh", "session", "ACCESS", ""])
async def test_a_token_of_another_type_is_refused(api: UserApi, token_type: str) -> None:
    claims = await live_claims(api, await api.make_user())

    assert_refused(await me(api, bearer(hs256(api, {**claims, "token_type": token_type}))))


# --- the token must match a live session of its subject ---------------------------------------


async def test_a_token_naming_another_users_session_is_refused(api: UserApi) -> None:
    """sub = me, sid = someone else's live session: neither user is authenticated."""
    me_user = await api.make_user("user")
    other = await api.make_user("user")
    mine = await live_claims(api, me_user)
    theirs = await live_claims(api, other)

    assert_refused(await me(api, bearer(hs256(api, {**mine, "sid": theirs["sid"]}))))
    assert_refused(await me(api, bearer(hs256(api, {**theirs, "sub": mine["sub"]}))))


async def test_a_token_for_an_unknown_session_is_refused(api: UserApi) -> None:
    claims = await live_claims(api, await api.make_user())

    assert_refused(await me(api, bearer(hs256(api, {**claims, "sid": str(uuid.uuid4())}))))


async def test_a_token_for_a_revoked_session_is_refused(api: UserApi) -> None:
    user = await api.make_user()
    claims = await live_claims(api, user)
    token = hs256(api, claims)
    assert (await me(api, bearer(token))).status_code == 200

    async with api.module.units() as unit:
        session = await unit.sessions.get(uuid.UUID(claims["sid"]))
        assert session is not None
        await unit.sessions.save(session_rules.revoke(session, session.created_at))
        await unit.commit()

    assert_refused(await me(api, bearer(token)))


@pytest.mark.parametrize("claimed", ["admin", "viewer"])
async def test_a_role_claim_that_differs_from_the_users_role_is_refused(
    api: UserApi, claimed: str
) -> None:
    """Correctly signed for a live session, but the role claim is not the user's role."""
    claims = await live_claims(api, await api.make_user("user"))

    assert_refused(await me(api, bearer(hs256(api, {**claims, "role": claimed}))))


# --- key rotation -----------------------------------------------------------------------------


async def test_rotation_accepts_the_previous_secret_only_while_it_is_listed(
    database_url: str,
) -> None:
    """new current + old previous: old-kid tokens verify; drop old: they stop; rogue never."""
    async with user_api(
        database_url, JWT_SECRET=NEW_SECRET, JWT_PREVIOUS_SECRETS=OLD_SECRET, **NO_RATE_LIMIT
    ) as rotating:
        user = await rotating.make_user()
        current = await rotating.token_for(user)
        claims = claims_of(current["Authorization"].removeprefix("Bearer "))
        old_token = JwtTokens(OLD_SECRET).sign(claims)
        rogue_token = JwtTokens(ROGUE_SECRET).sign(claims)
        assert json.loads(unb64url(old_token.split(".")[0]))["kid"] == key_id(OLD_SECRET)

        accepted = await me(rotating, bearer(old_token))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["id"] == str(user.id)
        assert (await me(rotating, current)).status_code == 200
        assert_refused(await me(rotating, bearer(rogue_token)))

    async with user_api(database_url, JWT_SECRET=NEW_SECRET, **NO_RATE_LIMIT) as rotated:
        assert_refused(await me(rotated, bearer(old_token)))
        assert_refused(await me(rotated, bearer(rogue_token)))
        # The session still lives: only the retired key is refused.
        assert (await me(rotated, current)).status_code == 200


async def test_a_token_with_the_right_secret_under_a_foreign_kid_is_refused(
    api: UserApi,
) -> None:
    """The key is chosen by kid; a kid that names no configured key is refused outright."""
    claims = await live_claims(api, await api.make_user())
    secret = secret_of(api)
    for kid in (key_id(ROGUE_SECRET), None):
        header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
        if kid is not None:
            header["kid"] = kid
        assert_refused(await me(api, bearer(forge(header, claims, secret.encode("utf-8")))))


# --- not a JWT bearer at all ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Credential:
    label: str
    header: Callable[[str], str]


CREDENTIALS = [
    Credential("session token as bearer", lambda session: f"Bearer {session}"),
    Credential("basic", lambda _: "Basic " + b64url(b"user@example.com:password")),
    Credential("bearer without token", lambda _: "Bearer"),
    Credential("bearer and blanks", lambda _: "Bearer    "),
    Credential("token without scheme", lambda session: session),
]


@pytest.mark.parametrize("credential", CREDENTIALS, ids=[c.label for c in CREDENTIALS])
async def test_credentials_that_are_not_an_access_token_are_refused(
    api: UserApi, credential: Credential
) -> None:
    user = await api.make_user()
    login = await api.login(user.email)
    assert login.status_code == 200
    session_token = login.json()["session_token"]

    assert_refused(await me(api, {"Authorization": credential.header(session_token)}))
