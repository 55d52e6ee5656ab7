"""Whose address counts, on a real `boundary serve` (§5): `http.trusted_proxies` alone decides.

The server's own proxy-header handling must not get there first: uvicorn by default trusts
`X-Forwarded-For` / `X-Forwarded-Proto` from loopback peers (or from `FORWARDED_ALLOW_IPS`).
Every request here comes from 127.0.0.1 with a different `X-Forwarded-For`; the login-failure
limit (5 per 15 minutes per client IP) and the access log show which address was used.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import StartService
from tests.support.process import Service, run_cli

pytestmark = pytest.mark.e2e

ADMIN = "edge-admin@example.com"
PASSWORD = "client ip passphrase 4242"
LOGIN = "/api/v1/auth/login"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file with one admin, shared by this module's services."""
    path: Path = tmp_path_factory.mktemp("client-ip") / "boundary.db"
    url = f"sqlite:///{path}"
    migrated = run_cli("migrate", "migrate", env={"DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    args = ("users", "create-admin", "--email", ADMIN, "--password-stdin")
    created = run_cli(*args, env={"DATABASE_URL": url}, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    return url


def login(svc: Service, forwarded_for: str, password: str, email: str = ADMIN) -> int:
    response = httpx.post(
        svc.api + LOGIN,
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=10,
    )
    return response.status_code


def fail_five_times(svc: Service, hops: list[str]) -> list[int]:
    return [login(svc, hop, "wrong password", email="nobody@example.com") for hop in hops]


def logged_client_ips(svc: Service, count: int, paths: set[str]) -> list[str]:
    """`client-ip` of the JSON access events for `paths`, in order, once `count` are there
    (the event is written just after the response, so it may trail it a little)."""
    deadline = time.monotonic() + 10
    while True:
        events = [json.loads(line) for line in list(svc.lines) if line.startswith("{")]
        access = [e for e in events if e.get("message") == "request"]
        found = [e["client-ip"] for e in access if e["path"] in paths]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def start(start_service: StartService, database: str, **env: str) -> Service:
    # Probe requests are access-logged at debug.
    return start_service(
        env={"DATABASE_URL": database, "LOG_FORMAT": "json", "LOG_LEVEL": "debug", **env}
    )


HOPS = [f"198.51.100.{n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    "environment",
    [{}, {"FORWARDED_ALLOW_IPS": "*"}],
    ids=["defaults", "FORWARDED_ALLOW_IPS=*"],
)
def test_without_trusted_proxies_x_forwarded_for_changes_nothing(
    start_service: StartService, database: str, environment: dict[str, str]
) -> None:
    """Five failures, each with another X-Forwarded-For: all are 127.0.0.1's, so the sixth
    login — right password, yet another X-Forwarded-For — is 429, and the log says 127.0.0.1."""
    svc = start(start_service, database, **environment)

    failures = fail_five_times(svc, HOPS)
    sixth = login(svc, "203.0.113.99", PASSWORD)

    assert failures == [401] * 5
    assert sixth == 429
    assert logged_client_ips(svc, 6, {LOGIN}) == ["127.0.0.1"] * 6


def test_with_the_peer_trusted_the_right_most_untrusted_hop_counts(
    start_service: StartService, database: str
) -> None:
    """`http.trusted_proxies = ["127.0.0.1/32"]`: each X-Forwarded-For is its own client (the
    right-most hop not in the list), so a sixth login from a new hop succeeds, while a sixth
    from a hop that already failed five times is 429."""
    svc = start(start_service, database, BOUNDARY_HTTP__TRUSTED_PROXIES='["127.0.0.1/32"]')
    chains = [f"192.0.2.66, {hop}, 127.0.0.1" for hop in HOPS]

    spread = fail_five_times(svc, chains)
    fresh = login(svc, "203.0.113.99", PASSWORD)
    same_client = fail_five_times(svc, ["203.0.113.7"] * 5)
    sixth = login(svc, "10.9.8.7, 203.0.113.7", PASSWORD)

    assert spread == [401] * 5
    assert fresh == 200
    assert same_client == [401] * 5
    assert sixth == 429
    expected = [*HOPS, "203.0.113.99", *["203.0.113.7"] * 6]
    assert logged_client_ips(svc, len(expected), {LOGIN}) == expected


def test_forwarded_headers_build_no_urls_and_change_no_logged_peer(
    start_service: StartService, database: str
) -> None:
    """`X-Forwarded-Proto` / `Forwarded` from a loopback peer build no URL (a trailing slash is
    a 404 problem, not a redirect to a URL made from request headers); the ops listener, too,
    logs the socket peer."""
    svc = start(start_service, database, FORWARDED_ALLOW_IPS="*")
    spoofing = {
        "X-Forwarded-Proto": "https",
        "Forwarded": "for=192.0.2.1;proto=https",
        "X-Forwarded-For": "192.0.2.1",
    }

    redirect = httpx.get(f"{svc.api}/health/live/", headers=spoofing)
    probe = httpx.get(f"{svc.ops}/health/live", headers=spoofing)

    assert redirect.status_code == 404
    assert "location" not in redirect.headers
    assert probe.status_code == 200
    paths = {"/health/live/", "/health/live"}
    assert logged_client_ips(svc, 2, paths) == ["127.0.0.1", "127.0.0.1"]
    assert "192.0.2.1" not in svc.output()
