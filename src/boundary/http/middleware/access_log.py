"""HTTP shell: what the access log (§8) records; the edge (`http.edge.Edge`) emits it.

Exactly one `request` event per request, emitted after the app returns — whether it
answered, raised, or the request was cancelled because the client went away — so `status`,
`user_id` (set by authentication) and `client_ip` (set by the rate-limit layer) are final.
`route` is the matched route template, never the raw path, so dashboards and metrics keep a
bounded cardinality.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.routing import Mount
from starlette.types import Scope

UNMATCHED_ROUTE: Final = "<unmatched>"
CLIENT_CLOSED_REQUEST: Final = 499
"""Status logged when the request was cancelled before any response started (nginx's 499)."""

RequestRecorder = Callable[[str, str, int, float], None]
"""Told of every finished request: (route template, method, status, duration in ms). Request
metrics are one; they ride on this layer's clock and status instead of adding their own."""


def route_template(scope: Scope, entry_root_path: str = "") -> str:
    """The template of the route that handled the request, e.g. `/api/v1/users/{id}`.

    Routers record the matched route in `scope["route"]` (FastAPI's APIRouter only for API
    routes). Since FastAPI 0.16x `include_router` no longer copies routes with the prefix
    applied, so `route.path_format` lacks the router prefixes; FastAPI keeps the full template
    in `scope["fastapi"]["effective_route_context"]`, which is read when it refers to the same
    route. A `Mount` grows `root_path`; that growth is the mount prefix. Requests that matched
    nothing get `UNMATCHED_ROUTE`; inside a mount, `<prefix>/{path}`.
    """
    mount_prefix = _mount_prefix(scope, entry_root_path)
    route = scope.get("route")
    if isinstance(route, Mount) or (route is None and mount_prefix):
        return mount_prefix + "/{path}"
    template = _fastapi_template(scope, route) or getattr(route, "path_format", None)
    return mount_prefix + template if isinstance(template, str) else UNMATCHED_ROUTE


def _mount_prefix(scope: Scope, entry_root_path: str) -> str:
    root_path: str = scope.get("root_path", "")
    if len(root_path) > len(entry_root_path) and root_path.startswith(entry_root_path):
        return root_path[len(entry_root_path) :].rstrip("/")
    return ""


def _fastapi_template(scope: Scope, route: object) -> str | None:
    """FastAPI's full template for `route`, through its private scope data (checked, not
    assumed: anything unexpected falls back to the route's own `path_format`)."""
    fastapi_scope = scope.get("fastapi")
    if route is None or not isinstance(fastapi_scope, dict):
        return None
    context = fastapi_scope.get("effective_route_context")
    if getattr(context, "original_route", None) is not route:
        return None
    template = getattr(context, "path_format", None)
    return template if isinstance(template, str) else None
