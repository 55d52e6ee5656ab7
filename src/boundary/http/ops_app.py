"""The ops listener's ASGI app (shell): `/health`, `/health/live`, `/health/ready`, `/metrics`.

Plain ASGI, no framework: it runs in the ops thread, answers from the `Lifecycle` (phase,
heartbeat, last health snapshot) without awaiting anything on the API loop, so a stuck API
loop shows here as 503 instead of a hang.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson
from starlette.types import Receive, Scope, Send

from boundary.http.errors import send_problem
from boundary.kernel.problems import standard_problem
from boundary.ops.core import Phase, is_healthy, is_stalled, ready_body, worker_info_body
from boundary.ops.shell.lifecycle import Lifecycle

MetricsExposition = Callable[[], tuple[bytes, str]]

JSON = b"application/json"


@dataclass(frozen=True, slots=True)
class OpsRoute:
    """What the access log reads as the route template (`path_format`, like Starlette's)."""

    path_format: str


_ROUTES = {p: OpsRoute(p) for p in ("/health", "/health/live", "/health/ready", "/metrics")}
ALLOWED = (b"GET", b"HEAD")


class OpsApp:
    """Routes the four ops paths; anything else is a 404/405 problem."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        *,
        metrics: MetricsExposition | None,
        liveness_stall_threshold: float,
        clock: Callable[[], float],
    ) -> None:
        self._lifecycle = lifecycle
        self._metrics = metrics
        self._liveness_stall = liveness_stall_threshold
        self._clock = clock
        self._routes: dict[str, Callable[[Scope], tuple[int, bytes, bytes]]] = {
            "/health": self._health,
            "/health/live": self._live,
            "/health/ready": self._ready,
            "/metrics": self._metrics_page,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        handler = self._routes.get(scope["path"].rstrip("/") or "/")
        if handler is None or (handler == self._metrics_page and self._metrics is None):
            await send_problem(send, standard_problem(404), scope)
        elif scope["method"].encode() not in ALLOWED:
            await send_problem(
                send, standard_problem(405, headers=(("allow", "GET, HEAD"),)), scope
            )
        else:
            scope["route"] = _ROUTES[scope["path"].rstrip("/")]
            status, body, ctype = handler(scope)
            await _respond(send, status, body, ctype, head=scope["method"] == "HEAD")

    def _health(self, scope: Scope) -> tuple[int, bytes, bytes]:
        life = self._lifecycle
        snapshot = life.snapshot
        ok = life.phase is Phase.ACTIVE and not life.loop_stalled() and is_healthy(snapshot.results)
        status = 200 if ok else 503
        if b"worker_info=true" not in scope.get("query_string", b""):
            return status, b"", b""
        body = worker_info_body(
            life.phase,
            active_session_count=snapshot.active_session_count,
            upstream_connection_state=snapshot.upstream_connection_state,
        )
        return status, orjson.dumps(body), JSON

    def _live(self, scope: Scope) -> tuple[int, bytes, bytes]:
        if is_stalled(self._lifecycle.heartbeat, self._clock(), self._liveness_stall):
            return 503, b'{"status":"stalled"}', JSON
        return 200, b'{"status":"alive"}', JSON

    def _ready(self, scope: Scope) -> tuple[int, bytes, bytes]:
        status, body = ready_body(self._lifecycle.readiness())
        return status, orjson.dumps(body), JSON

    def _metrics_page(self, scope: Scope) -> tuple[int, bytes, bytes]:
        assert self._metrics is not None
        payload, content_type = self._metrics()
        return 200, payload, content_type.encode()


async def _respond(
    send: Send, status: int, body: bytes, content_type: bytes, *, head: bool
) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type:
        headers.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
