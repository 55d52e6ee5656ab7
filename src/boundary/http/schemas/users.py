"""Request and response schemas of the user-administration routes (shell).

Requests only check shape (types, required and unknown keys, no control characters); the
policy — email form, name, password rules, roles — stays in `user.core.validation`, so both
layers answer 422 with field errors. The limits the policy applies are documented on the
fields (`json_schema_extra`) so the OpenAPI document tells clients what is accepted.
Responses are built from core entities with `of(...)`; none has a field for a password hash,
MFA secret or session token hash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from boundary.http.schemas.auth import NEW_PASSWORD_DOC
from boundary.http.schemas.common import Text, UserOut
from boundary.user.core.model import ROLES, AuditEvent, Role, Session
from boundary.user.core.validation import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH

_NAME_DOC: dict[str, Any] = {
    "minLength": 1,
    "maxLength": MAX_NAME_LENGTH,
    "description": f"Trimmed; 1-{MAX_NAME_LENGTH} characters, no line separators or "
    "bidirectional overrides.",
}


def _optional(doc: Mapping[str, Any] | None = None) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` for a PATCH field: `doc` added, and no `default: null` — leaving a
    field out is how it stays unchanged; sending null is refused."""

    def update(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        schema.update(doc or {})

    return update


class UserCreateRequest(BaseModel):
    """`POST /api/v1/users`."""

    model_config = ConfigDict(extra="forbid")

    email: Text = Field(
        examples=["ada@example.com"],
        json_schema_extra={"format": "email", "maxLength": MAX_EMAIL_LENGTH},
    )
    name: Text = Field(examples=["Ada Lovelace"], json_schema_extra=_NAME_DOC)
    password: Text = Field(json_schema_extra=NEW_PASSWORD_DOC)
    role: Text = Field(
        description="admin, user or viewer",
        examples=["user"],
        json_schema_extra={"enum": list(ROLES)},
    )


class UserPatchRequest(BaseModel):
    """`PATCH /api/v1/users/{id}`: any of these; users may change only their own `name`, only
    admins an `email`.

    Documents the body in OpenAPI; the route reads the raw JSON object instead, because
    permissions are decided on the keys the client sent, before any validation.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    email: Text | SkipJsonSchema[None] = Field(
        default=None,
        json_schema_extra=_optional(
            {
                "format": "email",
                "maxLength": MAX_EMAIL_LENGTH,
                "description": "Admins only; unique, case-insensitive. A new address is "
                "not verified until its owner opens a new verification link.",
            }
        ),
    )
    name: Text | SkipJsonSchema[None] = Field(default=None, json_schema_extra=_optional(_NAME_DOC))
    role: Role | SkipJsonSchema[None] = Field(default=None, json_schema_extra=_optional())
    active: bool | SkipJsonSchema[None] = Field(default=None, json_schema_extra=_optional())


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
    current: bool = Field(description="True for the session of the caller's own access token.")

    @classmethod
    def of(cls, session: Session, *, current_session_id: UUID | None) -> SessionOut:
        """The session as listed to a caller whose token names `current_session_id`."""
        return cls(
            id=session.id,
            created_at=session.created_at,
            expires_at=session.expires_at,
            last_seen_at=session.last_seen_at,
            revoked_at=session.revoked_at,
            ip=session.ip,
            user_agent=session.user_agent,
            current=session.id == current_session_id,
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
