"""User core permissions: the access matrix of CONTRACT §5, checked against an explicit oracle."""

from __future__ import annotations

import itertools
from types import MappingProxyType
from typing import get_args, get_type_hints
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.user.core import permissions
from boundary.user.core.model import ROLES, Role
from boundary.user.core.permissions import (
    ALLOW,
    POLICIES,
    Action,
    Actor,
    Allow,
    Deny,
    Policy,
    decide,
)

SELF_ID = UUID("00000000-0000-4000-8000-00000000000a")
OTHER_ID = UUID("00000000-0000-4000-8000-00000000000b")

A, U, F = "allow", "unauthenticated", "forbidden"
COLUMNS = (
    "anonymous",
    "viewer:self",
    "viewer:other",
    "user:self",
    "user:other",
    "admin:self",
    "admin:other",
)

# The oracle, written out by hand from CONTRACT §5. The USERS_UPDATE row is for a body that sets
# only `name`; UPDATE_BEYOND_NAME is that row for a body that sets anything else.
# fmt: off
ORACLE: dict[Action, tuple[str, ...]] = {
    #                               anon  viewer     user       admin
    #                                     self other self other self other
    Action.AUTH_LOGIN:             (A,    A,   A,    A,   A,    A,   A),
    Action.AUTH_REFRESH:           (A,    A,   A,    A,   A,    A,   A),
    Action.AUTH_LOGOUT:            (U,    A,   A,    A,   A,    A,   A),
    Action.AUTH_ME:                (U,    A,   A,    A,   A,    A,   A),
    Action.AUTH_PASSWORD:          (U,    A,   A,    A,   A,    A,   A),
    Action.AUTH_MFA_SETUP:         (U,    A,   A,    A,   A,    A,   A),
    Action.AUTH_MFA_ENABLE:        (U,    A,   A,    A,   A,    A,   A),
    Action.AUTH_MFA_DISABLE:       (U,    A,   A,    A,   A,    A,   A),
    Action.AUTH_MFA_STATUS:        (U,    A,   A,    A,   A,    A,   A),
    Action.AUTH_PASSWORD_RESET:    (A,    A,   A,    A,   A,    A,   A),
    Action.AUTH_PASSWORD_RESET_CONFIRM: (A, A, A,    A,   A,    A,   A),
    Action.AUTH_VERIFY_EMAIL_REQUEST: (U,  A,   A,    A,   A,    A,   A),
    Action.AUTH_VERIFY_EMAIL_CONFIRM: (A,  A,   A,    A,   A,    A,   A),
    Action.USERS_CREATE:           (U,    F,   F,    F,   F,    A,   A),
    Action.USERS_LIST:             (U,    A,   A,    F,   F,    A,   A),
    Action.USERS_READ:             (U,    A,   A,    A,   F,    A,   A),
    Action.USERS_UPDATE:           (U,    A,   F,    A,   F,    A,   A),
    Action.USERS_DELETE:           (U,    F,   F,    F,   F,    A,   A),
    Action.USERS_SESSIONS_LIST:    (U,    A,   F,    A,   F,    A,   A),
    Action.USERS_SESSIONS_REVOKE:  (U,    A,   F,    A,   F,    A,   A),
    Action.USERS_MFA_RESET:        (U,    F,   F,    F,   F,    A,   A),
    Action.AUDIT_LIST:             (U,    F,   F,    F,   F,    A,   A),
    # The admin console (§14): operators sign in, only admins change anything.
    Action.SESSIONS_LIST_LIVE:     (U,    F,   F,    F,   F,    A,   A),
    Action.CONSOLE_SIGN_IN:        (U,    A,   A,    F,   F,    A,   A),
    Action.CONSOLE_ACT:            (U,    F,   F,    F,   F,    A,   A),
}
UPDATE_BEYOND_NAME: tuple[str, ...] = (U, F, F, F, F, A, A)
# fmt: on

FIELD_NAMES = ("name", "role", "active", "email", "password")


def expected(action: Action, column: str, fields: frozenset[str]) -> str:
    """The oracle's answer for one caller/target column and request body."""
    beyond_name = not fields <= {"name"}
    row = UPDATE_BEYOND_NAME if action is Action.USERS_UPDATE and beyond_name else ORACLE[action]
    return row[COLUMNS.index(column)]


def call(action: Action, column: str, fields: frozenset[str] = frozenset()) -> Allow | Deny:
    """`decide` for a column such as `viewer:self` (the actor acting on their own id)."""
    if column == "anonymous":
        return decide(action, None, target_user_id=OTHER_ID, fields=fields)
    role, relation = column.split(":")
    actor = Actor(user_id=SELF_ID, role=role)  # type: ignore[arg-type]
    target = SELF_ID if relation == "self" else OTHER_ID
    return decide(action, actor, target_user_id=target, fields=fields)


def outcome(decision: Allow | Deny) -> str:
    return A if isinstance(decision, Allow) else decision.reason


# --- the table is complete -------------------------------------------------------------------


def test_every_action_has_a_policy() -> None:
    """Enumerating `Action` proves no endpoint relies on the deny-by-default fallback."""
    missing = [action for action in Action if action not in POLICIES]
    assert missing == []


def test_the_policy_table_has_nothing_but_actions() -> None:
    """No stray keys: the table and the enum describe the same endpoints."""
    assert set(POLICIES) == set(Action)


def test_the_oracle_covers_every_action() -> None:
    """The test's own table is as complete as the module's."""
    assert set(ORACLE) == set(Action)


def test_actions_are_named_after_the_contracts_endpoints() -> None:
    """One action per endpoint of §5 (and the console's own), with stable dotted values."""
    assert [action.value for action in Action] == [
        "auth.login",
        "auth.refresh",
        "auth.logout",
        "auth.me",
        "auth.password",
        "auth.mfa_setup",
        "auth.mfa_enable",
        "auth.mfa_disable",
        "auth.mfa_status",
        "auth.password_reset",
        "auth.password_reset_confirm",
        "auth.verify_email_request",
        "auth.verify_email_confirm",
        "users.create",
        "users.list",
        "users.read",
        "users.update",
        "users.delete",
        "users.sessions_list",
        "users.sessions_revoke",
        "users.mfa_reset",
        "audit.list",
        "sessions.list_live",
        "console.sign_in",
        "console.act",
    ]


def test_the_policy_table_cannot_be_changed_at_runtime() -> None:
    """POLICIES is read-only, so no import can widen access by mutating it."""
    with pytest.raises(TypeError):
        POLICIES[Action.AUDIT_LIST] = Policy(anyone=True)  # type: ignore[index]


# --- the matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "column"), list(itertools.product(Action, COLUMNS)))
def test_every_action_for_every_caller_matches_the_oracle(action: Action, column: str) -> None:
    """Each cell of the §5 matrix, for a body that sets only `name`."""
    fields = frozenset({"name"})
    assert outcome(call(action, column, fields)) == expected(action, column, fields)


@given(
    action=st.sampled_from(Action),
    column=st.sampled_from(COLUMNS),
    fields=st.frozensets(st.sampled_from(FIELD_NAMES)),
)
def test_decisions_match_the_oracle_for_any_request_body(
    action: Action, column: str, fields: frozenset[str]
) -> None:
    """Whatever fields a body sets, the decision is the oracle's."""
    assert outcome(call(action, column, fields)) == expected(action, column, fields)


@given(
    action=st.sampled_from(Action),
    role=st.sampled_from(ROLES),
    actor_id=st.uuids(),
    target=st.one_of(st.none(), st.uuids()),
)
def test_a_target_that_is_not_the_actor_is_treated_as_other(
    action: Action, role: Role, actor_id: UUID, target: UUID | None
) -> None:
    """Any id but the actor's own — or none at all — gets the `other` column's answer."""
    if target == actor_id:
        return
    decision = decide(action, Actor(user_id=actor_id, role=role), target_user_id=target)
    assert outcome(decision) == expected(action, f"{role}:other", frozenset())


# --- rules worth naming ----------------------------------------------------------------------


def test_anonymous_callers_get_unauthenticated_not_forbidden() -> None:
    """A missing token is a 401, so the client knows to log in."""
    assert decide(Action.USERS_DELETE, None) == Deny("unauthenticated")


def test_a_user_may_rename_themselves() -> None:
    """Self-service profile edits are limited to `name`."""
    actor = Actor(user_id=SELF_ID, role="user")
    decision = decide(
        Action.USERS_UPDATE, actor, target_user_id=SELF_ID, fields=frozenset({"name"})
    )
    assert decision == ALLOW


@pytest.mark.parametrize("field", ["role", "active", "email", "password"])
def test_a_user_may_not_promote_or_reactivate_themselves(field: str) -> None:
    """Any field beyond `name` in a self-patch is a 403, even alongside `name`."""
    actor = Actor(user_id=SELF_ID, role="user")
    decision = decide(
        Action.USERS_UPDATE, actor, target_user_id=SELF_ID, fields=frozenset({"name", field})
    )
    assert decision == Deny("forbidden")


def test_an_admin_may_patch_any_field_of_anyone() -> None:
    """Admins are not limited by the self-service field list."""
    actor = Actor(user_id=SELF_ID, role="admin")
    decision = decide(
        Action.USERS_UPDATE, actor, target_user_id=OTHER_ID, fields=frozenset(FIELD_NAMES)
    )
    assert decision == ALLOW


def test_self_access_needs_a_target() -> None:
    """A self-only rule never matches when the route has no user id."""
    actor = Actor(user_id=SELF_ID, role="user")
    assert decide(Action.USERS_READ, actor) == Deny("forbidden")


def test_an_action_without_a_policy_is_denied(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deny by default: a forgotten policy closes the route for everyone."""
    without_audit = {k: v for k, v in POLICIES.items() if k is not Action.AUDIT_LIST}
    monkeypatch.setattr(permissions, "POLICIES", MappingProxyType(without_audit))
    admin = Actor(user_id=SELF_ID, role="admin")
    assert decide(Action.AUDIT_LIST, admin) == Deny("forbidden")
    assert decide(Action.AUDIT_LIST, None) == Deny("unauthenticated")
    assert decide(Action.USERS_LIST, admin) == ALLOW


def test_an_empty_policy_grants_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Policy()` is closed: every grant must be spelled out."""
    monkeypatch.setattr(permissions, "POLICIES", MappingProxyType({Action.AUTH_ME: Policy()}))
    for role in ROLES:
        actor = Actor(user_id=SELF_ID, role=role)
        assert decide(Action.AUTH_ME, actor, target_user_id=SELF_ID) == Deny("forbidden")


def test_deny_reasons_are_exactly_the_two_http_outcomes() -> None:
    """`unauthenticated` maps to 401 and `forbidden` to 403; there is nothing else."""
    reason_type = get_type_hints(Deny)["reason"]
    assert set(get_args(reason_type)) == {"unauthenticated", "forbidden"}


def test_allow_is_a_value() -> None:
    """Decisions compare by value, so tests and callers need no identity checks."""
    assert Allow() == ALLOW
    assert Deny("forbidden") == Deny("forbidden")
    assert Deny("forbidden") != Deny("unauthenticated")
