"""Schemas shared by the user module's routers (shell): the `Text` type of every text input,
and the user as responses show it.

`Text` is how the core's control-character rule (`user.core.text`) reaches HTTP: every string
field of every request body and every string query parameter is a `Text`, so a NUL or other
control character is a 422 naming the field on every database, and the OpenAPI document says
so with a `pattern`.

A user is always rendered through `UserOut`, which has no field for `password_hash` or
`mfa_secret`: what is not in the schema cannot leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from boundary.user.core.model import Role, User, email_verified
from boundary.user.core.text import CONTROL_MESSAGE, NO_CONTROL_PATTERN, has_control_characters


def _without_control_characters(value: str) -> str:
    if has_control_characters(value):
        raise PydanticCustomError("control_characters", CONTROL_MESSAGE)
    return value


class _DocumentedPattern:
    """Adds the control-character rule to a string's JSON Schema (validation is the function
    above: pydantic's own `pattern` would run a second, different regex engine)."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = handler(core_schema)
        schema["pattern"] = NO_CONTROL_PATTERN
        return schema


Text = Annotated[str, AfterValidator(_without_control_characters), _DocumentedPattern()]
"""A string without control characters (Unicode Cc and Cs); bound its length where used."""


class UserOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    email: str
    name: str
    role: Role
    active: bool
    mfa_enabled: bool
    email_verified: bool
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
            email_verified=email_verified(user),
            login_count=user.login_count,
            last_login=user.last_login,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


def user_json(user: User) -> dict[str, Any]:
    """`UserOut.of(user)` as plain data for orjson: the same fields and the same JSON (UTC
    times end in `Z`, as pydantic writes them), without building and validating a model per
    user — on a page of twenty that was a fifth of the request. A test holds the two equal."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "mfa_enabled": user.mfa_enabled,
        "email_verified": email_verified(user),
        "login_count": user.login_count,
        "last_login": user.last_login,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def json_bytes(data: object) -> bytes:
    """orjson with pydantic's datetime form (`Z` for UTC)."""
    return orjson.dumps(data, option=orjson.OPT_UTC_Z)
