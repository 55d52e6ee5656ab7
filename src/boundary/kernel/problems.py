"""Kernel (pure): RFC 9457 problem details as plain values.

Every error the API answers is a `Problem`; the HTTP shell only serialises it. Keeping the
catalogue of standard problems here means routers, middleware and services all describe the
same failure with the same `type`, `title` and wording, and tests can compare literal dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

PROBLEM_TYPE_PREFIX: Final = "/problems/"
"""`type` is a relative URI reference: clients resolve it against the API's own origin."""

_SLUG_CHARACTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldError:
    """One invalid input: `field` is a dotted path such as `items.0.name`."""

    field: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """What went wrong, independent of how it is rendered.

    `headers` are response headers that belong to the problem itself (`Retry-After` on a 429,
    `WWW-Authenticate` on a 401), so a core decision can carry them without knowing HTTP types.
    """

    status: int
    slug: str
    title: str
    detail: str | None = None
    errors: tuple[FieldError, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"Problem.status must be an HTTP error status, got {self.status}")
        if not self.slug or not _SLUG_CHARACTERS.issuperset(self.slug):
            raise ValueError(f"Problem.slug must be lowercase [a-z0-9-]+, got {self.slug!r}")


@dataclass(frozen=True, slots=True)
class _Standard:
    slug: str
    title: str
    detail: str


STANDARD_PROBLEMS: Final[Mapping[int, _Standard]] = {
    400: _Standard("bad-request", "Malformed request body", "The request could not be parsed."),
    401: _Standard("unauthorized", "Authentication required", "Valid credentials are required."),
    403: _Standard("forbidden", "Forbidden", "You are not allowed to perform this action."),
    404: _Standard("not-found", "Resource not found", "No resource exists at this path."),
    405: _Standard(
        "method-not-allowed",
        "Method not allowed",
        "This resource does not support the request method.",
    ),
    409: _Standard("conflict", "Conflict", "The request conflicts with the resource's state."),
    413: _Standard(
        "payload-too-large", "Payload too large", "The request body exceeds the size limit."
    ),
    415: _Standard(
        "unsupported-media-type",
        "Unsupported media type",
        "The request body's content type is not supported.",
    ),
    422: _Standard("validation-error", "Validation failed", "The request contains invalid input."),
    429: _Standard("too-many-requests", "Too many requests", "Rate limit exceeded; retry later."),
    499: _Standard(
        "client-closed-request",
        "Client closed request",
        "The client closed the connection before the response was sent.",
    ),
    500: _Standard(
        "internal-error",
        "Internal server error",
        "An unexpected error occurred. Quote the correlation id when reporting it.",
    ),
    503: _Standard(
        "service-unavailable",
        "Service unavailable",
        "The service is temporarily unable to handle the request; retry later.",
    ),
}
"""The problems the edge itself produces; services add their own slugs (e.g. mfa-required)."""


def problem_type(slug: str) -> str:
    """The `type` member for a slug: `/problems/<slug>`."""
    return PROBLEM_TYPE_PREFIX + slug


def standard_problem(
    status: int,
    *,
    detail: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: Iterable[tuple[str, str]] = (),
) -> Problem:
    """The catalogue entry for `status`; statuses outside it are derived from HTTPStatus.

    An omitted `detail` takes the catalogue's default so every problem explains itself.
    """
    standard = STANDARD_PROBLEMS.get(status) or _derived(status)
    return Problem(
        status=status,
        slug=standard.slug,
        title=standard.title,
        detail=standard.detail if detail is None else detail,
        errors=tuple(errors),
        headers=tuple(headers),
    )


def _derived(status: int) -> _Standard:
    """A catalogue-shaped entry for a status we do not list (e.g. 418, 502)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Client error" if status < 500 else "Server error"
    words = "".join(c if c.isalnum() else " " for c in phrase.lower().replace("'", ""))
    return _Standard("-".join(words.split()), phrase, phrase + ".")


def problem_body(problem: Problem, *, instance: str, correlation_id: str) -> dict[str, object]:
    """The JSON object for `application/problem+json`.

    `errors` appears for validation failures (any field errors, and always on a 422) so clients
    can rely on it there; `detail` falls back to the title so it is never missing.
    """
    body: dict[str, object] = {
        "type": problem_type(problem.slug),
        "title": problem.title,
        "status": problem.status,
        "detail": problem.title if problem.detail is None else problem.detail,
        "instance": instance,
        "correlation_id": correlation_id,
    }
    if problem.errors or problem.status == 422:
        body["errors"] = [{"field": e.field, "message": e.message} for e in problem.errors]
    return body
