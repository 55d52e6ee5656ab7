"""Mail core (pure): what a message is, when a failed one is tried again, when it is given up,
and what a `mail.url` means. No I/O, no clock: callers pass `now`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal
from urllib.parse import parse_qs, unquote, urlsplit

FIRST_RETRY_SECONDS: Final = 30.0
MAX_RETRY_SECONDS: Final = 3600.0
DEFAULT_GIVE_UP_SECONDS: Final = 24 * 3600.0

Status = Literal["pending", "sent", "failed"]
STATUSES: Final[tuple[Status, ...]] = ("pending", "sent", "failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One mail as it is queued: plain text and HTML bodies of the same content."""

    kind: str
    recipient: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedMessage:
    """A row of the outbox a sender has claimed."""

    id: str
    message: Message
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Retry timing: `first` seconds after the first failure, doubling, at most `cap`; given
    up once the next try would fall more than `give_up_after` seconds after queueing."""

    first: float = FIRST_RETRY_SECONDS
    cap: float = MAX_RETRY_SECONDS
    give_up_after: float = DEFAULT_GIVE_UP_SECONDS


def retry_delay(attempts: int, backoff: Backoff = Backoff()) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: 30 s, doubling, at most 1 h."""
    if attempts < 1:
        return 0.0
    return float(min(backoff.first * 2.0 ** min(attempts - 1, 30), backoff.cap))


@dataclass(frozen=True, slots=True)
class Retry:
    at: datetime


@dataclass(frozen=True, slots=True)
class GiveUp:
    reason: Literal["rejected", "expired"]


def after_failure(
    *,
    attempts: int,
    created_at: datetime,
    now: datetime,
    permanent: bool,
    backoff: Backoff = Backoff(),
) -> Retry | GiveUp:
    """What to do with a message whose `attempts`-th attempt just failed: a permanent refusal
    (an SMTP 5xx) is given up at once; a temporary one is retried with backoff unless the next
    try would fall past `backoff.give_up_after` seconds from when it was queued."""
    if permanent:
        return GiveUp("rejected")
    at = now + timedelta(seconds=retry_delay(attempts, backoff))
    if at - created_at > timedelta(seconds=backoff.give_up_after):
        return GiveUp("expired")
    return Retry(at)


TlsMode = Literal["none", "starttls", "implicit"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpTarget:
    """Where and how to deliver: from `smtp://[user:pass@]host[:port][?starttls=true]` or
    `smtps://…` (implicit TLS, port 465 by default)."""

    host: str
    port: int
    tls: TlsMode
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password
        return f"SmtpTarget(host={self.host!r}, port={self.port}, tls={self.tls!r})"


@dataclass(frozen=True, slots=True)
class LogTarget:
    """`log://`: every message is written to the log instead of being sent (dev)."""


_TRUE: Final = frozenset({"1", "true", "yes", "on"})


def parse_mail_url(url: str) -> SmtpTarget | LogTarget:
    """The transport `url` names; `ValueError` (without the URL, which may hold a password)
    for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme == "log":
        return LogTarget()
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("expected smtp://[user:pass@]host[:port], smtps://… or log://")
    query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
    implicit = parts.scheme == "smtps"
    tls: TlsMode = "implicit" if implicit else "none"
    if not implicit and query.get("starttls", "") in _TRUE:
        tls = "starttls"
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError:
        raise ValueError("the mail URL's port is not a number") from None
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


_LINK: Final = re.compile(r"https?://[^\s<>\"']+")


def links_in(text: str) -> tuple[str, ...]:
    """The http(s) links of a plain-text body, in order."""
    return tuple(_LINK.findall(text))


def is_permanent(code: int | None) -> bool:
    """An SMTP reply code that will not change by retrying (5xx); connection errors (None) and
    4xx are temporary."""
    return code is not None and 500 <= code < 600
