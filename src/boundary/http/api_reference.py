"""HTTP shell: `docs/api.md`, the API reference, written from the service's own OpenAPI
document by `python -m boundary.http.api_reference > docs/api.md`.

The document is fetched through the real app stack (the same answer `/openapi.json` gives), so
a route added, removed or re-documented changes the reference; a test regenerates it and fails
while the committed file differs. Who may call an operation comes from its security
requirement and the roles its summary names; errors and rate-limit headers from its documented
answers.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Final

import httpx

COMMAND: Final = "python -m boundary.http.api_reference > docs/api.md"
METHODS: Final = ("get", "post", "put", "patch", "delete")
_ROLES = re.compile(r"\(([^()]*)\)\s*$")

_HEADER = f"""# API reference

<!-- Generated from the OpenAPI document by `{COMMAND}`; do not edit by hand. -->

Every operation below is also browsable while the service runs: Swagger UI at `/docs`, ReDoc
at `/redoc` and the document itself at `/openapi.json` (on unless `http.docs_enabled` is off,
which is the default in prod). Errors are `application/problem+json` documents with `type`,
`title`, `status`, `detail`, `instance` and `correlation_id` (and `errors` on a 422).
Authenticated operations take `Authorization: Bearer <access token>` from
`POST /api/v1/auth/login` or `/refresh`. Rate-limited answers carry `RateLimit-Limit`,
`RateLimit-Remaining`, `RateLimit-Reset` (and the draft `RateLimit`, `RateLimit-Policy`); a 429
carries `Retry-After`.
"""


async def fetch_document() -> dict[str, Any]:
    """`/openapi.json` of an API app built as `boundary serve` builds it (dev defaults, an
    in-memory database that is never opened for this)."""
    from boundary.config.model import Settings
    from boundary.http.app import create_api_app
    from boundary.observability.logging import configure_logging
    from boundary.system import build_system

    configure_logging(level="error", fmt="console", service="boundary-docs")
    # The dev environment fills in the secrets and everything else left out here.
    settings = Settings.model_validate(
        {
            "environment": "dev",
            "database": {"url": "sqlite:///:memory:"},
            "http": {"docs_enabled": True},
        }
    )
    app = create_api_app(build_system(settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://boundary") as client:
        answer = await client.get("/openapi.json")
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


def api_markdown(document: dict[str, Any]) -> str:
    """The reference as Markdown: operations grouped by tag, then the schemas."""
    parts = [_HEADER]
    by_tag: dict[str, list[str]] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append(_operation(method, path, operation))
    for tag, operations in by_tag.items():
        parts.append(f"## {tag}\n")
        parts += operations
    parts.append("## Schemas\n")
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        parts.append(_schema(name, schema))
    return "\n".join(parts).rstrip() + "\n"


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    summary = operation.get("summary", "")
    lines = [f"### `{method.upper()} {path}`", "", summary, ""]
    if operation.get("description"):
        lines += [" ".join(operation["description"].split()), ""]
    lines += [f"**Who may call:** {_who(operation)}", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += [
            "| Parameter | In | Type | Required | Meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{p['name']}` | {p['in']} | {_type(p.get('schema', {}))} | "
            f"{'yes' if p.get('required') else 'no'} | {_cell(p.get('description', ''))} |"
            for p in parameters
        ]
        lines.append("")
    body = operation.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            schema = content.get("schema", {})
            lines += [f"**Request body** (`{media}`): {_type(schema)}", ""]
            if "properties" in schema:
                lines += [*_fields(schema), ""]
    lines += ["| Status | Meaning | Body | Headers |", "| --- | --- | --- | --- |"]
    for status, answer in operation.get("responses", {}).items():
        content = answer.get("content", {})
        shown = ", ".join(
            f"{_type(c.get('schema', {}))} (`{media}`)" for media, c in content.items()
        )
        headers = ", ".join(f"`{h}`" for h in answer.get("headers", {}))
        lines.append(
            f"| {status} | {_cell(answer.get('description', ''))} | {shown or '—'} "
            f"| {headers or '—'} |"
        )
    return "\n".join(lines) + "\n"


def _who(operation: dict[str, Any]) -> str:
    if not operation.get("security"):
        return "anyone; no token needed"
    roles = _ROLES.search(operation.get("summary", ""))
    who = f" — {roles.group(1)}" if roles else " — any signed-in user"
    return f"a bearer access token{who}"


def _schema(name: str, schema: dict[str, Any]) -> str:
    lines = [f"### `{name}`", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    return "\n".join(lines + _fields(schema)) + "\n"


def _fields(schema: dict[str, Any]) -> list[str]:
    """A table of an object schema's fields; [] when it has none."""
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    if not properties:
        return []
    return [
        "| Field | Type | Required | Meaning |",
        "| --- | --- | --- | --- |",
        *(
            f"| `{field}` | {_type(spec)} | {'yes' if field in required else 'no'} "
            f"| {_cell(spec.get('description', ''))} |"
            for field, spec in properties.items()
        ),
    ]


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[`{name}`](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    kind = str(schema.get("type", "object" if "properties" in schema else "any"))
    if "format" in schema:
        kind += f" ({schema['format']})"
    if schema.get("title") == "Problem":
        return "Problem"
    return kind


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def main() -> None:
    print(api_markdown(asyncio.run(fetch_document())), end="")


if __name__ == "__main__":
    main()
