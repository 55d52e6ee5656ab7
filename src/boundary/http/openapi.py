"""HTTP shell: how routes document their answers in OpenAPI, so the document says what the
server does.

Every error leaves as `application/problem+json` (`http.errors`), never as FastAPI's default
`application/json` validation error; rate-limited routes carry the `RateLimit-*` headers on
every answer and `Retry-After` on a 429; a route that reads a body can answer 400 (not JSON)
and 413 (over `http.max_body_bytes`); any route that touches the database can answer 503 with
`Retry-After` while it is unavailable. Routers build their `responses=` from these pieces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

Responses = dict[int | str, dict[str, Any]]

PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance", "correlation_id"],
    "properties": {
        "type": {"type": "string", "description": "A relative URI such as /problems/not-found."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path."},
        "correlation_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "The invalid inputs (always present on a 422).",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _integer_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer", "minimum": 0}}


def _text_header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


RATE_LIMIT_HEADERS: Final[dict[str, dict[str, Any]]] = {
    "RateLimit-Limit": _integer_header("Requests allowed in the current window."),
    "RateLimit-Remaining": _integer_header("Requests left in the current window."),
    "RateLimit-Reset": _integer_header("Seconds until the window resets."),
    "RateLimit": _text_header("IETF draft form: limit=…, remaining=…, reset=…"),
    "RateLimit-Policy": _text_header("IETF draft form of the quota, e.g. 100;w=60."),
}
"""Sent on every answer of a rate-limited route while rate limiting is on."""

RETRY_AFTER: Final[dict[str, dict[str, Any]]] = {
    "Retry-After": {**_integer_header("Seconds to wait before retrying."), "required": True}
}


def problem(
    description: str, headers: Mapping[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """One documented error answer: a problem document, with `headers` if any."""
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }
    if headers:
        answer["headers"] = dict(headers)
    return answer


INVALID_JSON: Final[Responses] = {400: problem("The request body is not valid JSON.")}
TOO_LARGE: Final[Responses] = {413: problem("The request body exceeds http.max_body_bytes.")}
INVALID: Final[Responses] = {422: problem("Invalid input; `errors` names each field and why.")}
RATE_LIMITED: Final[Responses] = {
    429: problem(
        "Over a rate limit (per client IP, or per user once authenticated).",
        {**RETRY_AFTER, **RATE_LIMIT_HEADERS},
    )
}
DATABASE_UNAVAILABLE: Final[Responses] = {
    503: problem("The database is unavailable or all its connections are busy.", RETRY_AFTER)
}

EVERY_ROUTE: Final[Responses] = {**RATE_LIMITED, **DATABASE_UNAVAILABLE}
"""What any `/api/v1` route may answer, whatever it does."""
WITH_BODY: Final[Responses] = {**INVALID_JSON, **TOO_LARGE, **INVALID}
"""What a route that reads a JSON body may answer about the body."""


def with_rate_limit_headers(description: str) -> dict[str, Any]:
    """A success answer's documentation, naming the rate-limit headers it carries."""
    return {"description": description, "headers": dict(RATE_LIMIT_HEADERS)}
