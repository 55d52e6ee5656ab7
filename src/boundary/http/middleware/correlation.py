"""HTTP shell middleware: give every request a correlation id and echo it on the response.

The id is stored in `scope["state"]["correlation_id"]` (handlers read `request.state`), bound in
structlog's context variables for every log line of the request, and sent back as
`X-Correlation-ID`. Outermost layer, so even the edge's own 400/413/500 answers carry it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

from boundary.http.errors import CORRELATION_ID_STATE_KEY
from boundary.kernel.correlation import choose_correlation_id

HEADER: Final = b"x-correlation-id"


def new_correlation_id() -> str:
    """32 hex characters (128 random bits).

    `secrets.token_hex(16)` rather than `uuid4().hex`: as unique in practice, valid by
    construction, and about three times cheaper per request.
    """
    return secrets.token_hex(16)


class CorrelationIdMiddleware:
    """Accept a valid incoming `X-Correlation-ID`, else mint one; bind, store and echo it."""

    def __init__(self, app: ASGIApp, *, new_id: Callable[[], str] = new_correlation_id) -> None:
        if not callable(new_id):
            raise TypeError("CorrelationIdMiddleware: new_id must be a callable returning str")
        self.app = app
        self._new_id = new_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = choose_correlation_id(_incoming(scope), self._new_id)
        scope.setdefault("state", {})[CORRELATION_ID_STATE_KEY] = cid
        header = (HEADER, cid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        # Tokens restore whatever was bound before, so concurrent or nested requests never
        # see each other's id (each task has its own context anyway).
        tokens = bind_contextvars(correlation_id=cid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_contextvars(**tokens)


def _incoming(scope: Scope) -> str | None:
    """The first `X-Correlation-ID` request header (ASGI header names arrive lowercased)."""
    for name, value in scope["headers"]:
        if name == HEADER:
            return str(value.decode("latin-1"))
    return None
