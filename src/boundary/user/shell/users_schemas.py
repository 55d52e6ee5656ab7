"""Request and response schemas of the user-administration routes (shell).

Requests only check shape (types, required and unknown keys); the policy — email form, name,
password rules, roles — stays in `user.core.validation`, so both layers answer 422 with field
errors. Responses are built from core entities with `of(...)`; none has a field for a password
hash, MFA secret or session token hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from boundary.user.core.model import AuditEvent, Role, Session
from boundary.user.shell.schemas import UserOut


class UserCreateRequest(BaseModel):
    """`POST /api/v1/users`."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(examples=["ada@example.com"])
    name: str = Field(examples=["Ada Lovelace"])
    password: str = Field(json_schema_extra={"format": "password"})
    role: str = Field(description="admin, user or viewer", examples=["user"])


class UserPatchRequest(BaseModel):
    """`PATCH /api/v1/users/{id}`: any of these; users may change only their own `name`.

    Documents the body in OpenAPI; the route reads the raw JSON object instead, because
    permissions are decided on the keys the client sent, before any validation.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    role: Role | None = None
    active: bool | None = None


class UserListResponse(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class SessionOut(BaseModel):
    """A session; `id` is the access token's `sid` claim."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    ip: str | None
    user_agent: str | None

    @classmethod
    def of(cls, session: Session) -> SessionOut:
        return cls(
            id=session.id,
            created_at=session.created_at,
            expires_at=session.expires_at,
            last_seen_at=session.last_seen_at,
            revoked_at=session.revoked_at,
            ip=session.ip,
            user_agent=session.user_agent,
        )


class SessionListResponse(BaseModel):
    items: list[SessionOut]
    total: int
    limit: int
    offset: int


class AuditEventOut(BaseModel):
    """One `audit_events` row, every column."""

    model_config = ConfigDict(frozen=True)

    id: int | None
    event_type: str
    actor: str | None
    actor_role: str | None
    email: str | None
    resource: str | None
    action: str
    result: str
    ip: str | None
    user_agent: str | None
    correlation_id: str | None
    details: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            event_type=event.event_type,
            actor=event.actor,
            actor_role=event.actor_role,
            email=event.email,
            resource=event.resource,
            action=event.action,
            result=event.result,
            ip=event.ip,
            user_agent=event.user_agent,
            correlation_id=event.correlation_id,
            details=_plain(event.details),
            created_at=event.created_at,
        )


class AuditListResponse(BaseModel):
    items: list[AuditEventOut]
    total: int
    limit: int
    offset: int


def _plain(details: Mapping[str, object]) -> dict[str, Any]:
    return dict(details)
