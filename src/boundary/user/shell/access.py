"""Access control (shell): the permission table applied, and every refusal audited.

Every adapter — the HTTP API, the admin console — asks `require` before calling a service; the
table itself (`user.core.permissions`) is the single authority. An anonymous caller is
`Unauthenticated` (401); a signed-in one the table refuses is `Forbidden` (403), written to the
audit log as `access_denied` in its own unit of work (only 403s: anonymous refusals come from
anyone on the internet and would let them fill the audit table).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from boundary.user.core import permissions
from boundary.user.core.audit import RequestContext, access_denied, user_resource
from boundary.user.core.errors import Forbidden, Unauthenticated
from boundary.user.shell.authn import Principal
from boundary.user.shell.deps import UserDeps


class AccessControl:
    def __init__(self, deps: UserDeps) -> None:
        self._deps = deps

    async def require(
        self,
        caller: Principal | None,
        action: permissions.Action,
        ctx: RequestContext,
        *,
        target_user_id: UUID | None = None,
        fields: Iterable[str] = (),
    ) -> None:
        """Return if `caller` (None: anonymous) may perform `action`; raise otherwise.

        `fields` are the keys the request body sent, before validation, so a user patching
        their own `role` is told 403 rather than 422.
        """
        names = frozenset(fields)
        actor = caller.actor if caller is not None else None
        decision = permissions.decide(action, actor, target_user_id=target_user_id, fields=names)
        if isinstance(decision, permissions.Allow):
            return
        if decision.reason == "unauthenticated" or caller is None:
            raise Unauthenticated("anonymous")
        event = access_denied(
            actor=caller.ref,
            action=action.value,
            ctx=ctx,
            now=self._deps.clock.now(),
            resource=user_resource(target_user_id) if target_user_id else None,
            fields=names,
        )
        async with self._deps.units() as unit:
            await unit.audit.append(event)
            await unit.commit()
        raise Forbidden()
