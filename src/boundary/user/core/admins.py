"""User core (pure): the last-active-admin rule.

Boundary must always keep one account that can administer it: the last active admin cannot be
demoted, deactivated, deleted or erased (a 409 problem). The first admin comes from the CLI
(`users create-admin`), which is also the way back if every admin account is lost.

The shell gathers the ids of the active admins with their rows locked inside the unit of work
(so two concurrent demotions of the last two admins queue, and the second sees the first's
result), then asks `leaves_no_admin`.
"""

from __future__ import annotations

from uuid import UUID

from boundary.user.core.model import User

LAST_ADMIN_DETAIL = "this would leave no active admin; promote another admin first"


def is_active_admin(user: User | None) -> bool:
    """An admin who can sign in: role admin, active, not deleted."""
    return user is not None and user.role == "admin" and user.active and user.deleted_at is None


def loses_admin(before: User, after: User | None) -> bool:
    """Whether the change (None: deletion) takes away an active admin — only then is the
    (locking) count of admins worth gathering."""
    return is_active_admin(before) and not is_active_admin(after)


def leaves_no_admin(before: User, after: User | None, active_admins: frozenset[UUID]) -> bool:
    """Whether turning `before` into `after` (None: deleted or erased) would leave no active
    admin, given the ids of the active admins as they are now."""
    if not loses_admin(before, after):
        return False
    return not (active_admins - {before.id})
