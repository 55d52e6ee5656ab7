"""Problem details: the catalogue and the RFC 9457 body, with literal values."""

from __future__ import annotations

import pytest

from boundary.kernel.problems import (
    STANDARD_PROBLEMS,
    FieldError,
    Problem,
    problem_body,
    problem_type,
    standard_problem,
)


def test_body_has_every_member_the_contract_names() -> None:
    """type, title, status, detail, instance and correlation_id; no errors outside validation."""
    problem = Problem(status=404, slug="not-found", title="Resource not found", detail="No user 7.")

    body = problem_body(problem, instance="/api/v1/users/7", correlation_id="abc-123")

    assert body == {
        "type": "/problems/not-found",
        "title": "Resource not found",
        "status": 404,
        "detail": "No user 7.",
        "instance": "/api/v1/users/7",
        "correlation_id": "abc-123",
    }


def test_validation_body_lists_field_errors_in_order() -> None:
    """Field errors become [{field, message}] in the order they were found."""
    problem = standard_problem(
        422,
        errors=[
            FieldError(field="email", message="not an email"),
            FieldError(field="items.0.qty", message="must be positive"),
        ],
    )

    body = problem_body(problem, instance="/api/v1/users", correlation_id="c")

    assert body["type"] == "/problems/validation-error"
    assert body["errors"] == [
        {"field": "email", "message": "not an email"},
        {"field": "items.0.qty", "message": "must be positive"},
    ]


def test_a_422_always_carries_an_errors_list() -> None:
    """Clients may rely on `errors` for every validation failure, even an empty one."""
    body = problem_body(standard_problem(422), instance="/x", correlation_id="c")

    assert body["errors"] == []


def test_missing_detail_falls_back_to_the_title() -> None:
    """`detail` is never absent from the body."""
    problem = Problem(status=401, slug="mfa-required", title="MFA code required")

    body = problem_body(problem, instance="/api/v1/auth/login", correlation_id="c")

    assert body["type"] == "/problems/mfa-required"
    assert body["detail"] == "MFA code required"


@pytest.mark.parametrize(
    ("status", "slug", "title"),
    [
        (400, "bad-request", "Malformed request body"),
        (404, "not-found", "Resource not found"),
        (405, "method-not-allowed", "Method not allowed"),
        (413, "payload-too-large", "Payload too large"),
        (422, "validation-error", "Validation failed"),
        (429, "too-many-requests", "Too many requests"),
        (500, "internal-error", "Internal server error"),
        (503, "service-unavailable", "Service unavailable"),
    ],
)
def test_standard_problems(status: int, slug: str, title: str) -> None:
    """The catalogue names each status the edge produces."""
    problem = standard_problem(status)

    assert (problem.status, problem.slug, problem.title) == (status, slug, title)
    assert problem.detail


def test_standard_problem_keeps_a_given_detail_and_headers() -> None:
    """Callers override the detail and attach headers such as Retry-After."""
    problem = standard_problem(429, detail="Slow down.", headers=[("Retry-After", "30")])

    assert problem.detail == "Slow down."
    assert problem.headers == (("Retry-After", "30"),)


@pytest.mark.parametrize(
    ("status", "slug", "title"),
    [
        (418, "im-a-teapot", "I'm a Teapot"),
        (502, "bad-gateway", "Bad Gateway"),
        (599, "server-error", "Server error"),
    ],
)
def test_statuses_outside_the_catalogue_are_derived(status: int, slug: str, title: str) -> None:
    """Unlisted statuses still get a stable slug and title."""
    problem = standard_problem(status)

    assert (problem.slug, problem.title) == (slug, title)


def test_every_catalogue_slug_is_a_valid_problem() -> None:
    """The catalogue itself passes Problem's own checks."""
    for status in STANDARD_PROBLEMS:
        assert standard_problem(status).status == status


@pytest.mark.parametrize("status", [200, 302, 399, 600])
def test_problem_rejects_non_error_status(status: int) -> None:
    """A problem is always a 4xx or 5xx."""
    with pytest.raises(ValueError, match="status"):
        Problem(status=status, slug="x", title="X")


@pytest.mark.parametrize("slug", ["", "Not-Found", "not found", "a/b"])
def test_problem_rejects_slugs_that_are_not_url_safe(slug: str) -> None:
    """Slugs become part of the `type` URI."""
    with pytest.raises(ValueError, match="slug"):
        Problem(status=400, slug=slug, title="X")


def test_problem_type_is_relative() -> None:
    """`type` is a relative URI reference under /problems/."""
    assert problem_type("mfa-required") == "/problems/mfa-required"
