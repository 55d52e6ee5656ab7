"""Response schemas shared by the user module's routers (shell).

A user is always rendered through `UserOut`, which has no field for `password_hash` or
`mfa_secret`: what is not in the schema cannot leak.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from boundary.user.core.model import Role, User


class UserOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    email: str
    name: str
    role: Role
    active: bool
    mfa_enabled: bool
    login_count: int
    last_login: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            active=user.active,
            mfa_enabled=user.mfa_enabled,
            login_count=user.login_count,
            last_login=user.last_login,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )
