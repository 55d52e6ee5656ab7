"""The listeners' request limits as settings, and the answer a listener writes by itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.config import ConfigError, load_config
from boundary.http.middleware.security_headers import SecurityHeaderValues
from boundary.server.listeners import OPS_LIMITS, api_limits
from boundary.server.refusal import EVENT, Refusal, Refused, render

HEADERS = SecurityHeaderValues(
    csp="default-src 'none'", hsts="max-age=1", x_xss_protection="0", referrer_policy="no-referrer"
)
DATE = ((b"date", b"Sat, 03 Jan 2026 12:00:00 GMT"),)
TIMEOUT = Refused(408, "read_timeout", "The request was not received within 10 seconds.")


class RecordingLogger:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def warn(self, msg: str, /, **fields: Any) -> None:
        self.events.append((msg, fields))


def refusal(logger: RecordingLogger, trusted: tuple[str, ...] = ()) -> Refusal:
    return Refusal(
        listener="api",
        security_headers=HEADERS,
        trusted_proxies=trusted,
        logger=logger,
    )


def parse(raw: bytes) -> tuple[str, dict[bytes, bytes], dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = dict(line.split(b": ", 1) for line in lines)
    assert int(headers[b"content-length"]) == len(body)
    return status.decode(), headers, json.loads(body)


def settings_from(tmp_path: Path, environ: dict[str, str]) -> Any:
    (tmp_path / "test.toml").write_text("", encoding="utf-8")
    return load_config(env="test", config_dir=tmp_path, environ=environ).settings


def test_defaults_and_environment_overrides(tmp_path: Path) -> None:
    """10s / 16 KiB / 5s by default; BOUNDARY_HTTP__* takes Go durations, sub-second too."""
    default = api_limits(settings_from(tmp_path, {}))
    tuned = api_limits(
        settings_from(
            tmp_path,
            {
                "BOUNDARY_HTTP__REQUEST_READ_TIMEOUT": "1m30s",
                "BOUNDARY_HTTP__MAX_HEADER_BYTES": "32768",
                "BOUNDARY_HTTP__KEEP_ALIVE_TIMEOUT": "500ms",
            },
        )
    )

    assert (default.request_read_timeout, default.max_header_bytes) == (10.0, 16_384)
    assert default.keep_alive_timeout == 5.0
    assert (tuned.request_read_timeout, tuned.max_header_bytes) == (90.0, 32_768)
    assert tuned.keep_alive_timeout == 0.5
    assert OPS_LIMITS.max_header_bytes < default.max_header_bytes


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOUNDARY_HTTP__REQUEST_READ_TIMEOUT", "0s"),
        ("BOUNDARY_HTTP__KEEP_ALIVE_TIMEOUT", "soon"),
        ("BOUNDARY_HTTP__MAX_HEADER_BYTES", "100"),
    ],
)
def test_unusable_values_are_refused_naming_the_key(
    tmp_path: Path, variable: str, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, {variable: value})
    key = "http." + variable.removeprefix("BOUNDARY_HTTP__").lower()
    assert str(caught.value).startswith(key)


def test_the_answer_is_a_closing_problem_with_security_headers_and_a_warn_event() -> None:
    logger = RecordingLogger()
    raw = refusal(logger).answer(
        TIMEOUT, headers=(), default_headers=DATE, peer="192.0.2.1", received=3
    )

    status, headers, body = parse(raw)
    assert status == "HTTP/1.1 408 Request Timeout"
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"connection"] == b"close"
    assert headers[b"date"] == DATE[0][1]
    assert headers[b"x-frame-options"] == b"DENY"
    assert headers[b"content-security-policy"] == b"default-src 'none'"
    assert headers[b"cache-control"] == b"no-store"
    assert body == {
        "type": "/problems/request-timeout",
        "title": "Request Timeout",
        "status": 408,
        "detail": "The request was not received within 10 seconds.",
        "instance": "",
        "correlation_id": headers[b"x-correlation-id"].decode(),
    }
    [(event, fields)] = logger.events
    assert event == EVENT
    assert fields["status"] == 408
    assert fields["reason"] == "read_timeout"
    assert fields["client_ip"] == "192.0.2.1"
    assert fields["correlation_id"] == body["correlation_id"]


def test_the_clients_correlation_id_is_kept_when_valid_and_the_apps_wins() -> None:
    logger = RecordingLogger()
    answer = refusal(logger).answer

    def correlation_id_of(header: bytes, known: str | None = None) -> object:
        raw = answer(
            TIMEOUT,
            headers=((b"x-correlation-id", header),),
            default_headers=(),
            peer=None,
            received=0,
            correlation_id=known,
        )
        return parse(raw)[2]["correlation_id"]

    assert correlation_id_of(b"req-1") == "req-1"
    assert correlation_id_of(b"bad id\x7f") not in {"bad id\x7f", "req-1"}
    assert correlation_id_of(b"req-1", known="edge-7") == "edge-7"


def test_the_logged_client_ip_follows_trusted_proxies_only() -> None:
    logger = RecordingLogger()
    chain = ((b"x-forwarded-for", b"203.0.113.9, 10.0.0.2"),)
    refusal(logger).answer(TIMEOUT, headers=chain, default_headers=(), peer="10.0.0.1", received=0)
    refusal(logger, ("10.0.0.0/8",)).answer(
        TIMEOUT, headers=chain, default_headers=(), peer="10.0.0.1", received=0
    )

    assert [fields["client_ip"] for _, fields in logger.events] == ["10.0.0.1", "203.0.113.9"]


@given(
    status=st.sampled_from([400, 408, 431]),
    detail=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80),
    correlation_id=st.from_regex(r"[A-Za-z0-9._-]{1,128}", fullmatch=True),
)
def test_render_always_frames_one_response(status: int, detail: str, correlation_id: str) -> None:
    """Whatever the detail, the bytes are one well-framed response: the status line, the
    declared length is the body's, the body is the problem, nothing follows it."""
    raw = render(Refused(status, "x", detail), correlation_id, DATE)
    line, headers, body = parse(raw)

    assert line.startswith(f"HTTP/1.1 {status} ")
    assert body["status"] == status
    assert body["detail"] == detail
    assert headers[b"x-correlation-id"].decode() == correlation_id
