"""Admin console rules that need no browser: audit `via`, idle sessions, CSRF tokens."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from boundary.http.console.session import Csrf, new_nonce
from boundary.http.console.status import format_uptime
from boundary.user.core import audit
from boundary.user.core.audit import RequestContext
from boundary.user.core.model import Session
from boundary.user.core.sessions import is_idle
from tests.fakes.builders import NOW


def session(**fields: object) -> Session:
    values: dict[str, object] = {
        "id": uuid4(),
        "user_id": uuid4(),
        "token_hash": "0" * 64,
        "created_at": NOW - timedelta(hours=1),
        "expires_at": NOW + timedelta(hours=1),
    }
    return Session(**(values | fields))  # type: ignore[arg-type]


def test_a_request_through_the_console_marks_every_audit_row() -> None:
    ctx = RequestContext(ip="10.0.0.1", via="admin-console")
    event = audit.login_failed(
        attempted_email="x@example.com", user=None, reason="wrong_password", ctx=ctx, now=NOW
    )
    assert event.details == {"reason": "wrong_password", "via": "admin-console"}
    plain = audit.login_failed(
        attempted_email="x@example.com",
        user=None,
        reason="wrong_password",
        ctx=RequestContext(),
        now=NOW,
    )
    assert "via" not in plain.details


def test_idle_counts_from_last_use_or_creation() -> None:
    assert is_idle(session(last_seen_at=NOW - timedelta(minutes=31)), NOW, 1800)
    assert not is_idle(session(last_seen_at=NOW - timedelta(minutes=29)), NOW, 1800)
    assert not is_idle(session(last_seen_at=NOW - timedelta(minutes=30)), NOW, 1800)
    assert is_idle(session(last_seen_at=None), NOW, 1800)  # created an hour ago


def test_csrf_tokens_are_bound_to_the_secret_and_the_session() -> None:
    csrf = Csrf("a" * 32)
    sid = str(uuid4())
    token = csrf.for_session(sid)
    assert csrf.valid_for_session(sid, token)
    assert not csrf.valid_for_session(str(uuid4()), token)
    assert not csrf.valid_for_session(sid, None)
    assert not csrf.valid_for_session(sid, "")
    assert not Csrf("b" * 32).valid_for_session(sid, token)
    nonce = new_nonce()
    login = csrf.for_login(nonce)
    assert csrf.valid_for_login(nonce, login)
    assert not csrf.valid_for_login(None, login)
    assert not csrf.valid_for_login(nonce, csrf.for_session(nonce))  # purposes differ


def test_uptime_reads_as_units() -> None:
    assert format_uptime(5) == "5s"
    assert format_uptime(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == "3d 4h 5m 6s"
    assert format_uptime(-1) == "0s"
