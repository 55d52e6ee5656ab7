"""What a listener answers by itself, before any app runs (shell).

A request whose head is too large (431), arrives too slowly (408) or is not HTTP at all (400)
never reaches the ASGI app, so the edge middleware cannot answer it. `Refusal` writes the
same kind of answer the edge would: an RFC 9457 problem body, the configured security headers,
an `X-Correlation-ID` (the client's own when its header line arrived complete and valid, else a
new one) and `Connection: close`; and it logs one WARN event `request_refused` so an operator
sees it (the access log only covers requests that reached the app).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

import orjson

from boundary.http.middleware.correlation import HEADER as CORRELATION_HEADER
from boundary.http.middleware.correlation import new_correlation_id
from boundary.http.middleware.security_headers import SecurityHeaderValues, security_header_list
from boundary.kernel import client_ip as client_addresses
from boundary.kernel.correlation import choose_correlation_id
from boundary.kernel.problems import problem_body, standard_problem
from boundary.observability.logging import Logger

EVENT: Final = "request_refused"
_FORWARDED_FOR: Final = b"x-forwarded-for"

Headers = Sequence[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Refused:
    """One refusal: what the client is told and why."""

    status: int
    reason: str
    """Short machine-readable cause for the log: `read_timeout`, `header_too_large`, …"""
    detail: str


class Refusal:
    """Renders and logs the listener's own answers; one per listener, shared by connections."""

    def __init__(
        self,
        *,
        listener: str,
        security_headers: SecurityHeaderValues,
        trusted_proxies: Iterable[str],
        logger: Logger,
    ) -> None:
        self._listener = listener
        self._security = security_header_list(security_headers)
        self._trusted = client_addresses.parse_networks(trusted_proxies)
        self._log = logger

    def answer(
        self,
        refused: Refused,
        *,
        headers: Headers,
        default_headers: Headers,
        peer: str | None,
        received: int,
        correlation_id: str | None = None,
    ) -> bytes:
        """The whole HTTP/1.1 response for `refused`; logs the WARN event.

        `headers` are the request's header lines that arrived complete, `default_headers` the
        server's own (`Date`), `received` the head bytes read so far (for the log);
        `correlation_id` the id the edge already gave this request, if it reached the app.
        """
        cid = correlation_id or choose_correlation_id(
            _first(headers, CORRELATION_HEADER), new_correlation_id
        )
        self._log.warn(
            EVENT,
            listener=self._listener,
            status=refused.status,
            reason=refused.reason,
            client_ip=self._client_ip(peer, headers),
            header_bytes=received,
            correlation_id=cid,
        )
        return render(refused, cid, (*default_headers, *self._security))

    def _client_ip(self, peer: str | None, headers: Headers) -> str | None:
        forwarded = [value.decode("latin-1") for name, value in headers if name == _FORWARDED_FOR]
        return client_addresses.client_ip(
            peer, ",".join(forwarded) if forwarded else None, self._trusted
        )


def render(refused: Refused, correlation_id: str, extra: Headers) -> bytes:
    """Status line, headers and problem body; `instance` is empty (the path may be partial)."""
    problem = standard_problem(refused.status, detail=refused.detail)
    body = orjson.dumps(problem_body(problem, instance="", correlation_id=correlation_id))
    status = HTTPStatus(refused.status)
    lines = [
        b"HTTP/1.1 %d %s" % (status.value, status.phrase.encode()),
        *(name + b": " + value for name, value in extra),
        b"content-type: application/problem+json",
        b"content-length: %d" % len(body),
        CORRELATION_HEADER + b": " + correlation_id.encode("latin-1"),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _first(headers: Headers, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None
