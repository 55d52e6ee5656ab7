"""The hot routes render users with `user_json` + orjson instead of `UserOut`: the JSON must
be the same, field for field and character for character, for any user."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from boundary.http.schemas.common import UserOut, json_bytes, user_json
from boundary.user.core.model import ROLES, User

times = st.one_of(
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),  # SQLite hands back naive times
    st.datetimes(timezones=st.just(timezone(timedelta(hours=2)))),
)

users = st.builds(
    User,
    id=st.uuids(),
    email=st.emails(),
    name=st.text(max_size=40),
    password_hash=st.just("secret-hash"),
    role=st.sampled_from(ROLES),
    active=st.booleans(),
    mfa_enabled=st.booleans(),
    mfa_secret=st.none() | st.just("JBSWY3DPEHPK3PXP"),
    login_count=st.integers(min_value=0, max_value=2**40),
    last_login=st.none() | times,
    created_at=times,
    updated_at=times,
    email_verified_at=st.none() | times,
)


@given(users)
def test_user_json_is_the_json_of_user_out(user: User) -> None:
    fast = json_bytes(user_json(user)).decode()
    model = UserOut.of(user).model_dump_json()
    assert json.loads(fast) == json.loads(model)


def test_utc_times_end_in_z_and_secrets_are_absent() -> None:
    at = datetime(2026, 12, 5, 13, 0, 0, 123456, tzinfo=UTC)
    user = User(
        id=uuid.UUID(int=7),
        email="ann@example.com",
        name="Ann",
        password_hash="secret-hash",
        mfa_secret="JBSWY3DPEHPK3PXP",
        role="admin",
        created_at=at,
        updated_at=at,
    )
    body = json_bytes(user_json(user)).decode()
    assert '"created_at":"2026-12-05T13:00:00.123456Z"' in body
    assert "secret-hash" not in body
    assert "JBSWY3DPEHPK3PXP" not in body
