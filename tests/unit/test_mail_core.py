"""Mail core: the retry schedule, when a message is given up, and what a mail URL means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.mail.core import (
    Backoff,
    GiveUp,
    LogTarget,
    Retry,
    SmtpTarget,
    after_failure,
    is_permanent,
    links_in,
    parse_mail_url,
    retry_delay,
)
from boundary.mail.shell.templates import render

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_the_schedule_starts_at_30_seconds_and_doubles_up_to_an_hour() -> None:
    delays = [retry_delay(n) for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@given(st.integers(min_value=1, max_value=10_000))
def test_delays_never_shrink_and_never_pass_the_cap(attempts: int) -> None:
    assert retry_delay(attempts) <= retry_delay(attempts + 1) <= 3600


def test_a_temporary_failure_is_retried_after_the_delay() -> None:
    decision = after_failure(attempts=2, created_at=T0, now=T0, permanent=False)
    assert decision == Retry(T0 + timedelta(seconds=60))


def test_a_permanent_failure_is_given_up_at_once() -> None:
    assert after_failure(attempts=1, created_at=T0, now=T0, permanent=True) == GiveUp("rejected")


def test_a_message_is_given_up_after_24_hours() -> None:
    late = T0 + timedelta(hours=23, minutes=30)
    assert after_failure(attempts=30, created_at=T0, now=late, permanent=False) == GiveUp("expired")
    early = T0 + timedelta(hours=22)
    assert isinstance(after_failure(attempts=30, created_at=T0, now=early, permanent=False), Retry)


def test_backoff_is_configurable() -> None:
    fast = Backoff(first=0.1, cap=0.2, give_up_after=10)
    assert [retry_delay(n, fast) for n in (1, 2, 3)] == [0.1, 0.2, 0.2]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("log://", LogTarget()),
        ("smtp://mail.example.org", SmtpTarget(host="mail.example.org", port=25, tls="none")),
        (
            "smtp://me%40x.org:p%3Ass@mail:587?starttls=true",
            SmtpTarget(host="mail", port=587, tls="starttls", username="me@x.org", password="p:ss"),
        ),
        ("smtps://mail.example.org", SmtpTarget(host="mail.example.org", port=465, tls="implicit")),
    ],
)
def test_mail_urls(url: str, expected: object) -> None:
    assert parse_mail_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://u:s3cr3t@mail", "smtp://u:s3cr3t@", "smtp://u:s3cr3t@host:port"]
)
def test_bad_mail_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError, match=r"expected|port") as caught:
        parse_mail_url(url)
    assert "s3cr3t" not in str(caught.value)


def test_the_target_never_shows_its_password() -> None:
    target = parse_mail_url("smtp://user:hunter2secret@mail:25")
    assert "hunter2secret" not in repr(target)


@pytest.mark.parametrize(
    ("code", "permanent"), [(None, False), (421, False), (451, False), (550, True)]
)
def test_only_5xx_is_permanent(code: int | None, permanent: bool) -> None:
    assert is_permanent(code) is permanent


@pytest.mark.parametrize("kind", ["password_reset", "email_verification"])
def test_each_mail_has_exactly_one_link_in_both_bodies(kind: str) -> None:
    link = "https://id.example.org/account/x?token=abc_DEF-123"
    mail = render(kind, recipient="ann@example.com", link=link, ttl_seconds=1800)

    assert mail.text.count("https://") == 1
    assert mail.html.count("https://") == 1
    assert mail.html.count("<a ") == 1
    assert link in mail.text
    assert f'href="{link}"' in mail.html


def test_the_html_body_escapes_what_it_shows() -> None:
    mail = render(
        "password_reset",
        recipient="<script>@example.com",
        link="https://x/?token=a",
        ttl_seconds=1800,
    )
    assert "<script>" not in mail.html
    assert "30 minutes" in mail.text


def test_links_in_a_plain_text_body() -> None:
    text = (
        "Hello,\n\nopen this link:\n\n"
        "http://localhost:3000/account/reset-password?token=a_b-c%2B\n\n"
        "or <https://id.example.org/account/verify-email?token=x>.\n"
    )
    assert links_in(text) == (
        "http://localhost:3000/account/reset-password?token=a_b-c%2B",
        "https://id.example.org/account/verify-email?token=x",
    )
    assert links_in("no link here") == ()
