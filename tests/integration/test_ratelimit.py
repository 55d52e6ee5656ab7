"""Rate limits (§5) through the app factory, on memory:// and on a real Redis.

Redis is BOUNDARY_TEST_REDIS_URL (skipped when absent, failing with
BOUNDARY_REQUIRE_SERVICES=1). Every Redis test uses its own key prefix, so runs and tests
never share counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyotp
import pytest

from boundary.config.shell import load_config
from boundary.http.app import create_api_app
from boundary.migrations.shell import MigrationRunner
from boundary.observability.errors.shell.watch import FailedLoginAlarm
from boundary.observability.logging import get_logger
from boundary.ratelimit.shell.limiter import LimitsLimiter, make_quota
from boundary.system import build_system
from tests.fakes.observability import RecordingMetrics, RecordingReporter
from tests.support.databases import REDIS_URL, unavailable
from tests.support.process import free_port
from tests.support.user_api import PASSWORD, ROOT, UserApi, cheap_passwords

pytestmark = pytest.mark.anyio

RATE_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit")
ALL_429_HEADERS = (*RATE_HEADERS, "ratelimit-policy", "retry-after")
ANONYMOUS = "/api/v1/users/00000000-0000-0000-0000-000000000000"
EXCEEDED = "rate_limit.exceeded.count"


@dataclass
class LimitedApi(UserApi):
    metrics: RecordingMetrics = field(default_factory=RecordingMetrics)

    async def get(self, path: str = ANONYMOUS, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def login_from(
        self, ip: str | None, email: str, password: str = PASSWORD, **body: Any
    ) -> httpx.Response:
        """A login whose client is `ip` (forwarded by the trusted proxy at 127.0.0.1)."""
        headers = from_ip(ip) if ip else {}
        body = {"email": email, "password": password, **body}
        return await self.client.post("/api/v1/auth/login", json=body, headers=headers)


def _redis_available() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {REDIS_URL}", exc)
    finally:
        client.close()


def _delete_prefix(prefix: str) -> None:
    import redis

    with contextlib.closing(redis.Redis.from_url(REDIS_URL)) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Environment selecting the storage: memory://, or Redis under a fresh key prefix."""
    if request.param == "memory":
        yield {"RATE_LIMIT_STORAGE_URL": "memory://"}
        return
    _redis_available()
    prefix = f"boundary-test-{uuid.uuid4().hex[:12]}"
    yield {"RATE_LIMIT_STORAGE_URL": REDIS_URL, "BOUNDARY_RATE_LIMIT__KEY_PREFIX": prefix}
    _delete_prefix(prefix)


@asynccontextmanager
async def limited_api(
    environ: dict[str, str],
    routes: dict[tuple[str, str], str] | None = None,
    alarm: FailedLoginAlarm | None = None,
) -> AsyncIterator[LimitedApi]:
    """`user_api` with rate limiting on, recorded metrics, optional per-route overrides and an
    optional failed-login alarm."""
    env = {"DATABASE_URL": "sqlite:///:memory:", **environ}
    settings = load_config(env="test", config_dir=ROOT / "config", environ=env).settings
    metrics = RecordingMetrics()
    system = build_system(
        settings, passwords=cheap_passwords(), metrics=metrics, failed_login_alarm=alarm
    )
    for (method, path), rate in (routes or {}).items():
        system.rate_limit.override(method, path, rate)
    await MigrationRunner(system.database, ROOT / "migrations").migrate()
    await system.start()
    transport = httpx.ASGITransport(app=create_api_app(system), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        try:
            yield LimitedApi(system=system, client=client, metrics=metrics)
        finally:
            await system.aclose()


def from_ip(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


BEHIND_PROXY = {"BOUNDARY_HTTP__TRUSTED_PROXIES": "127.0.0.1"}


# --- public and per-user limits ------------------------------------------------------------------


async def test_the_101st_public_request_in_a_minute_is_429_with_every_header(
    storage: dict[str, str],
) -> None:
    """Default 100/minute per IP: 100 answers carry falling RateLimit headers, then a 429."""
    async with limited_api(storage) as api:
        for sent in range(1, 101):
            response = await api.get()
            assert response.status_code == 401
            assert response.headers["ratelimit-remaining"] == str(100 - sent)
        refused = await api.get()

    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/too-many-requests"
    assert all(name in refused.headers for name in ALL_429_HEADERS)
    assert refused.headers["ratelimit-limit"] == "100"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-policy"] == "100;w=60"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-reset"] == refused.headers["retry-after"]
    assert refused.headers["ratelimit"] == (
        f"limit=100, remaining=0, reset={refused.headers['retry-after']}"
    )
    assert refused.headers["x-frame-options"] == "DENY"  # inside the edge
    assert refused.headers["x-correlation-id"] == refused.json()["correlation_id"]
    assert api.metrics.counted(EXCEEDED, limit="public") == 1


async def test_authenticated_requests_spend_the_users_budget_not_the_ips(
    storage: dict[str, str],
) -> None:
    """Per user: one user's exhausted limit leaves another user and anonymous callers alone."""
    env = {**storage, "BOUNDARY_RATE_LIMIT__AUTHENTICATED": "3/minute"}
    env["BOUNDARY_RATE_LIMIT__PUBLIC"] = "5/minute"
    async with limited_api(env) as api:
        alice = await api.token_for(await api.make_user())
        bob = await api.token_for(await api.make_user())
        answers = [(await api.get("/api/v1/auth/me", headers=alice)).status_code for _ in range(4)]
        bob_me = await api.get("/api/v1/auth/me", headers=bob)
        anonymous = await api.get()

    assert answers == [200, 200, 200, 429]
    assert bob_me.status_code == 200
    assert bob_me.headers["ratelimit-limit"] == "3"
    assert bob_me.headers["ratelimit-remaining"] == "2"
    assert anonymous.headers["ratelimit-limit"] == "5"
    assert anonymous.headers["ratelimit-remaining"] == "4"
    assert api.metrics.counted(EXCEEDED, limit="authenticated") == 1


async def test_an_invalid_token_spends_the_ips_budget() -> None:
    """A Bearer token that does not verify is anonymous: the per-IP limit applies."""
    env = {"BOUNDARY_RATE_LIMIT__PUBLIC": "2/minute"}
    async with limited_api(env) as api:
        forged = {"Authorization": "Bearer not.a.token"}
        answers = [(await api.get("/api/v1/auth/me", headers=forged)).status_code for _ in range(3)]

    assert answers == [401, 401, 429]


async def test_a_valid_token_on_the_login_endpoint_still_spends_the_ips_budget() -> None:
    """Login and refresh are public: a still-valid Bearer token does not move a client onto
    the (larger) per-user budget there."""
    env = {"BOUNDARY_RATE_LIMIT__PUBLIC": "2/minute"}
    async with limited_api(env) as api:
        token = await api.token_for(await api.make_user())
        body = {"email": "nobody@example.com", "password": "wrong password here"}
        answers = [
            (await api.client.post("/api/v1/auth/login", json=body, headers=token)).status_code
            for _ in range(3)
        ]

    assert answers == [401, 401, 429]
    assert api.metrics.counted(EXCEEDED, limit="public") == 1


async def test_health_docs_and_test_routes_are_exempt() -> None:
    """Exempt paths carry no RateLimit headers and are never refused."""
    async with limited_api({"BOUNDARY_RATE_LIMIT__PUBLIC": "1/minute"}) as api:
        for path in ("/health", "/health/live", "/health/ready", "/openapi.json", "/docs"):
            for _ in range(3):
                response = await api.get(path)
                assert response.status_code != 429, path
                assert "ratelimit-limit" not in response.headers
        first, second = await api.get(), await api.get()

    assert (first.status_code, second.status_code) == (401, 429)


async def test_a_route_override_has_its_own_limit_and_counter() -> None:
    """An override (set in code, by path template) replaces the default limit for its route."""
    routes = {("GET", "/api/v1/users/{id}"): "2/minute"}
    async with limited_api({"BOUNDARY_RATE_LIMIT__PUBLIC": "5/minute"}, routes) as api:
        answers = [(await api.get()).status_code for _ in range(3)]
        elsewhere = await api.get("/api/v1/auth/me")

    assert answers == [401, 401, 429]
    assert elsewhere.headers["ratelimit-limit"] == "5"
    assert elsewhere.headers["ratelimit-remaining"] == "4"
    assert api.metrics.counted(EXCEEDED, limit="route:GET /api/v1/users/{id}") == 1


async def test_disabled_rate_limiting_limits_nothing_but_still_finds_the_client_ip() -> None:
    """`rate_limit.enabled = false`: no headers, no 429, no storage check."""
    env = {"BOUNDARY_RATE_LIMIT__ENABLED": "false", "BOUNDARY_RATE_LIMIT__PUBLIC": "1/minute"}
    async with limited_api(env) as api:
        answers = [await api.get() for _ in range(3)]
        health = (await api.get("/health")).json()

    assert [r.status_code for r in answers] == [401, 401, 401]
    assert "ratelimit-limit" not in answers[0].headers
    assert "rate_limit_storage" not in health["checks"]


# --- client IP --------------------------------------------------------------------------------


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_bypass(
    storage: dict[str, str],
) -> None:
    """Without trusted proxies, X-Forwarded-For is ignored: the peer's budget is spent."""
    async with limited_api({**storage, "BOUNDARY_RATE_LIMIT__PUBLIC": "2/minute"}) as api:
        answers = [(await api.get(headers=from_ip(f"203.0.113.{n}"))).status_code for n in range(3)]

    assert answers == [401, 401, 429]


async def test_a_trusted_proxys_forwarded_for_is_honoured(storage: dict[str, str]) -> None:
    """Behind a trusted proxy each forwarded client has its own budget; the right-most
    untrusted hop counts, so a client cannot pick a fresh address by prepending one."""
    env = {**storage, **BEHIND_PROXY, "BOUNDARY_RATE_LIMIT__PUBLIC": "2/minute"}
    async with limited_api(env) as api:
        first = [(await api.get(headers=from_ip("198.51.100.7"))).status_code for _ in range(3)]
        spoofed = await api.get(headers=from_ip("10.9.9.9, 198.51.100.7"))
        other = await api.get(headers=from_ip("198.51.100.8"))

    assert first == [401, 401, 429]
    assert spoofed.status_code == 429
    assert other.status_code == 401


# --- login failures ---------------------------------------------------------------------------


async def test_the_sixth_failed_login_from_one_ip_is_429_even_with_the_right_password(
    storage: dict[str, str],
) -> None:
    """5 failures per IP in 15 minutes; then 429 with the login limit's headers, while other
    IPs log in normally."""
    async with limited_api({**storage, **BEHIND_PROXY}) as api:
        user = await api.make_user()
        attacker = "192.0.2.66"
        failures = [
            (await api.login_from(attacker, user.email, "wrong password")).status_code
            for _ in range(5)
        ]
        blocked = await api.login_from(attacker, user.email)
        elsewhere = await api.login_from("192.0.2.67", user.email)

    assert failures == [401] * 5
    assert blocked.status_code == 429
    assert blocked.headers["ratelimit-limit"] == "5"
    assert blocked.headers["ratelimit-policy"] == "5;w=900"
    assert 1 <= int(blocked.headers["retry-after"]) <= 900
    assert all(name in blocked.headers for name in ALL_429_HEADERS)
    assert elsewhere.status_code == 200
    assert api.metrics.counted(EXCEEDED, limit="login_failures") == 1


async def test_blocked_login_attempts_still_reach_the_failed_login_alarm() -> None:
    """A brute force from one IP is mostly 429s: those attempts count for the §10 alarm too."""
    env = {"BOUNDARY_RATE_LIMIT__LOGIN_FAILURES": "2/minute"}
    reporter = RecordingReporter()
    async with limited_api(env, alarm=FailedLoginAlarm(reporter, threshold=3)) as api:
        user = await api.make_user()
        answers = [(await api.login_from(None, user.email, "wrong")).status_code for _ in range(4)]

    assert answers == [401, 401, 429, 429]
    assert [event[2] for event in reporter.events] == ["warning"]


async def test_successful_logins_and_missing_mfa_codes_do_not_count() -> None:
    """Only failures count: right passwords and 'MFA code required' answers spend nothing,
    a wrong MFA code does."""
    env = {"BOUNDARY_RATE_LIMIT__LOGIN_FAILURES": "2/15minutes"}
    async with limited_api(env) as api:
        plain = await api.make_user()
        secret = pyotp.random_base32()
        mfa_user = await api.make_user(mfa_enabled=True, mfa_secret=secret)
        ok = [(await api.login_from(None, plain.email)).status_code for _ in range(3)]
        missing = [(await api.login_from(None, mfa_user.email)).status_code for _ in range(3)]
        wrong = [
            (await api.login_from(None, mfa_user.email, mfa_code="000000")).status_code
            for _ in range(3)
        ]

    assert ok == [200, 200, 200]
    assert missing == [401, 401, 401]
    assert wrong == [401, 401, 429]


async def test_the_ip_limit_and_the_account_lockout_work_side_by_side() -> None:
    """Failures from several IPs lock the account (per account) before any IP is blocked."""
    env = {**BEHIND_PROXY, "BOUNDARY_SECURITY__LOCKOUT_THRESHOLD": "4"}
    async with limited_api(env) as api:
        user = await api.make_user()
        failures = [
            (await api.login_from(f"192.0.2.{n}", user.email, "nope")).status_code for n in range(4)
        ]
        locked = await api.login_from("192.0.2.99", user.email)
        other = await api.make_user()
        unaffected = await api.login_from("192.0.2.0", other.email)

    assert failures == [401] * 4
    assert locked.status_code == 401  # the account is locked: the generic refusal
    assert unaffected.status_code == 200  # no IP reached its 5 failures


# --- storage failure --------------------------------------------------------------------------


async def test_an_unreachable_redis_fails_open_for_requests_and_closed_locally_for_logins() -> None:
    """Nothing listens at the Redis URL: requests flow within the timeout on local counters,
    login failures are still limited locally, /health reports the storage down but ready."""
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = {
        **BEHIND_PROXY,
        "RATE_LIMIT_STORAGE_URL": dead,
        "BOUNDARY_RATE_LIMIT__PUBLIC": "20/minute",
    }
    async with limited_api(env) as api:
        answers = [(await api.get(headers=from_ip("192.0.2.1"))).status_code for _ in range(21)]
        user = await api.make_user()
        logins = [await api.login_from("192.0.2.2", user.email, "x") for _ in range(5)]
        blocked = await api.login_from("192.0.2.2", user.email)
        health = (await api.get("/health")).json()
        ready = await api.get("/health/ready")

    assert answers == [401] * 20 + [429]  # in-process counters stand in
    assert [r.status_code for r in logins] == [401] * 5
    assert blocked.status_code == 429  # login failures: closed, on local counters
    assert health["checks"]["rate_limit_storage"]["status"] == "down"
    assert health["checks"]["rate_limit_storage"]["critical"] is False
    assert "rate_limit_storage_unreachable" not in ready.json().get("reasons", [])


# --- closing -------------------------------------------------------------------------------------


async def test_aclose_stops_the_memory_storages_expiry_task() -> None:
    """A moving-window hit makes limits' memory storage start a task that expires old entries
    (it stops it itself only when the storage is garbage-collected); `aclose` stops it, so a
    closed limiter leaves nothing running on the loop. This pins the `timer` task `aclose`
    cancels: should limits rename it, this test fails rather than shutdowns leaking it."""
    limiter = LimitsLimiter("memory://", logger=get_logger("test"), strategy="moving-window")
    before = asyncio.all_tasks()
    await limiter.hit(make_quota("public", "5/minute"), "client")
    started = asyncio.all_tasks() - before
    assert started, "the memory storage no longer starts an expiry task on a hit"
    await limiter.aclose()
    await asyncio.sleep(0)
    assert all(task.done() for task in started)


@pytest.mark.db
async def test_aclose_closes_the_redis_connections() -> None:
    """The limiter's Redis connections (named here through the URL, so that only they are
    counted on a shared server) are gone once it is closed."""
    import redis

    _redis_available()
    name = f"boundary-test-{uuid.uuid4().hex[:12]}"
    limiter = LimitsLimiter(
        f"{REDIS_URL}?client_name={name}",
        logger=get_logger("test"),
        key_prefix=name,
    )

    def connections() -> int:
        with redis.Redis.from_url(REDIS_URL) as client:
            return sum(1 for entry in client.client_list() if entry.get("name") == name)

    try:
        await limiter.hit(make_quota("public", "5/minute"), "client")
        assert connections() >= 1
    finally:
        await limiter.aclose()
        _delete_prefix(name)
    assert connections() == 0
