"""Bodies that routes read themselves (shell): the raw JSON object, and its OpenAPI entry.

Some routes must see what the client sent before validating it — permissions are decided on
the keys of a PATCH, a login with invalid input is still audited — so they read the body as
a JSON object and validate it with the request model afterwards. `body_doc` puts that model
in the OpenAPI document as if FastAPI had read the body.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError

from boundary.http.errors import ProblemException, validation_field_errors
from boundary.kernel.problems import FieldError, standard_problem
from boundary.user.core.errors import Invalid


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a route that reads a body of `model` itself."""
    schema = {"content": {"application/json": {"schema": model.model_json_schema()}}}
    return {"requestBody": {**schema, "required": True}}


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object: 400 when it is not JSON, 422 when it is not an object."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProblemException(
            standard_problem(400, detail="The request body is not valid JSON.")
        ) from None
    if not isinstance(body, dict):
        raise Invalid([FieldError(field="body", message="must be a JSON object")])
    return body


def field_errors(exc: ValidationError) -> tuple[FieldError, ...]:
    """A request model's validation failure as field errors (the input is never echoed)."""
    return validation_field_errors(exc.errors())
