"""Rate limits across real `boundary serve` processes sharing Redis, and Redis outages (§5).

The outage test starts its own `redis-server` on a free port, freezes it, kills it and starts
it again, while two services keep answering within the storage timeout.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import StartService
from tests.support.databases import REDIS_URL, unavailable
from tests.support.process import Service, free_port

pytestmark = pytest.mark.e2e

ANONYMOUS = "/api/v1/users/00000000-0000-0000-0000-000000000000"
SLOW = 0.5
"""Seconds a request may take while Redis is gone: the 100 ms storage bound plus slack."""


class RedisServer:
    """A throw-away `redis-server` (no persistence) on one port, restartable on the same one."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [self.binary, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with redis.Redis.from_url(self.url, socket_connect_timeout=0.2) as client:
                    if client.ping():
                        return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but never answered."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server binary", FileNotFoundError("redis-server"))
        raise AssertionError("unreachable")
    server = RedisServer(binary)
    server.start()
    yield server
    server.kill()


def shared_redis() -> None:
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as client:
            client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {REDIS_URL}", exc)


def _delete_prefix(prefix: str) -> None:
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


def limited_env(storage_url: str, **extra: str) -> dict[str, str]:
    return {
        "RATE_LIMIT_STORAGE_URL": storage_url,
        "BOUNDARY_RATE_LIMIT__KEY_PREFIX": f"boundary-e2e-{uuid.uuid4().hex[:12]}",
        "BOUNDARY_HTTP__TRUSTED_PROXIES": "127.0.0.1",
        **extra,
    }


def get(service: Service, client_ip: str) -> httpx.Response:
    return httpx.get(service.api + ANONYMOUS, headers={"X-Forwarded-For": client_ip}, timeout=5)


def timed_get(service: Service, client_ip: str) -> tuple[int, float]:
    started = time.monotonic()
    status = get(service, client_ip).status_code
    return status, time.monotonic() - started


def failed_login(service: Service, client_ip: str) -> int:
    body = {"email": "nobody@example.com", "password": "wrong password"}
    headers = {"X-Forwarded-For": client_ip}
    return httpx.post(
        service.api + "/api/v1/auth/login", json=body, headers=headers, timeout=5
    ).status_code


def storage_status(service: Service) -> str:
    checks = httpx.get(service.api + "/health", timeout=5).json()["checks"]
    return str(checks["rate_limit_storage"]["status"])


def wait_for_storage(services: list[Service], status: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(storage_status(s) == status for s in services):
            return
        time.sleep(0.1)
    raise AssertionError(f"rate_limit_storage did not become {status!r}")


def test_two_processes_sharing_redis_enforce_one_global_limit(
    start_service: StartService, request: pytest.FixtureRequest
) -> None:
    """10/minute per IP, requests spread over two servers: the 11th is 429 on both."""
    shared_redis()
    env = limited_env(REDIS_URL, BOUNDARY_RATE_LIMIT__PUBLIC="10/minute")
    request.addfinalizer(lambda: _delete_prefix(env["BOUNDARY_RATE_LIMIT__KEY_PREFIX"]))
    first, second = start_service(env), start_service(env)

    answers = [get(s, "198.51.100.1").status_code for s in [first, second] * 5]
    over = [get(first, "198.51.100.1"), get(second, "198.51.100.1")]
    other_client = get(second, "198.51.100.2")

    assert answers == [401] * 10
    assert [r.status_code for r in over] == [429, 429]
    assert over[1].headers["ratelimit-limit"] == "10"
    assert over[1].headers["ratelimit-policy"] == "10;w=60"
    assert int(over[1].headers["retry-after"]) >= 1
    assert other_client.status_code == 401
    assert "rate_limit_exceeded" in first.output()


def test_a_redis_outage_keeps_requests_flowing_and_limits_are_shared_after_restart(
    start_service: StartService, redis_server: RedisServer
) -> None:
    """Frozen, then killed Redis: every request answers within the timeout on local
    counters (login failures still limited); after a restart one global limit again."""
    env = limited_env(redis_server.url, BOUNDARY_RATE_LIMIT__PUBLIC="6/minute")
    first, second = start_service(env), start_service(env)
    # The counters' windows are whole minutes: a run that crossed into the next one midway
    # would see the earlier hits weigh less and one more request pass (seen once in CI-like
    # runs). The steps below take a few seconds; start them early in a minute.
    into_minute = time.time() % 60
    if into_minute > 40:
        time.sleep(60.5 - into_minute)
    assert [get(s, "192.0.2.1").status_code for s in [first, second] * 3] == [401] * 6
    assert get(first, "192.0.2.1").status_code == 429  # shared: 6 in all

    redis_server.freeze()
    frozen = [timed_get(s, "192.0.2.2") for s in [first] * 4 + [second] * 4]
    frozen += [timed_get(first, "192.0.2.2") for _ in range(3)]
    redis_server.kill()
    killed = [timed_get(second, "192.0.2.3") for _ in range(7)]
    logins = [failed_login(first, "192.0.2.4") for _ in range(6)]

    # Per-process counters: 4 + 4 pass where the shared limit would stop at 6.
    assert [status for status, _ in frozen] == [401] * 10 + [429]
    assert [status for status, _ in killed] == [401] * 6 + [429]
    assert max(elapsed for _, elapsed in frozen + killed) < SLOW
    assert logins == [401] * 5 + [429]  # closed with a local fallback
    wait_for_storage([first, second], "down")
    assert httpx.get(first.ops + "/health/ready", timeout=5).status_code == 200
    assert first.output().count("rate_limit_storage_unavailable") == 1  # rate-limited log

    redis_server.start()
    wait_for_storage([first, second], "up")
    spread = [get(s, "192.0.2.5").status_code for s in [first, second] * 3]

    assert spread == [401] * 6
    assert get(second, "192.0.2.5").status_code == 429  # shared again: 6 in all
    assert "rate_limit_storage_recovered" in first.output()
