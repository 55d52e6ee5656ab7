"""HTTP shell middleware: 408 when the request body has not arrived by the listener's deadline.

The listener (`boundary.server.http_protocol`) bounds how long a client may take to send a
whole request, `http.request_read_timeout`. While the head is still arriving it answers 408
itself; once the head is complete the app runs and waits for the body in `receive()`, and there
this layer holds the same deadline, so that 408 passes the edge like any other answer
(correlation id, security headers, access log, metrics). It carries `Connection: close`: the
rest of that body is never read.

The listener hands the deadline over in the ASGI scope:
`scope["extensions"]["boundary.request_read"]["deadline"]`, a time on the running loop's clock,
set to None once the whole body has arrived (an app that reads late is not the client's fault).
Without that extension (another server, in-process tests) this layer passes everything through.
When the deadline strikes, the 408 goes out unless a response already started, the app's own
sends become no-ops, and an `HTTPException(408)` is raised into its `receive()` — FastAPI passes
that through its body parsing quietly, as the body limit's 413 does.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boundary.http.errors import send_problem
from boundary.kernel.problems import standard_problem

EXTENSION: Final = "boundary.request_read"
"""The scope extension the listener fills in: `{"deadline": loop time | None}`."""

TOO_SLOW: Final = standard_problem(
    408, detail="The request was not received in time.", headers=(("Connection", "close"),)
)


class _ReadTimedOut(HTTPException):
    """Raised into the app's `receive()` once the deadline passed."""

    def __init__(self) -> None:
        super().__init__(status_code=408)


class ReadDeadlineMiddleware:
    """408 problem when the app waits for body bytes past the listener's read deadline."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        read = (scope.get("extensions") or {}).get(EXTENSION) if scope["type"] == "http" else None
        if not isinstance(read, dict) or read.get("deadline") is None:
            # No deadline from the listener, or the whole request is in already (every GET).
            await self.app(scope, receive, send)
            return
        request = _TimedRequest(read, scope, receive, send)
        try:
            await self.app(scope, request.receive, request.send)
        except Exception:
            if not request.answered:
                raise
            # The app failed because its body read was cut off; the client has its 408.


class _TimedRequest:
    """One request's deadline and who has answered it."""

    __slots__ = ("_read", "_receive", "_scope", "_send", "answered", "started")

    def __init__(self, read: dict[Any, Any], scope: Scope, receive: Receive, send: Send) -> None:
        self._read = read
        self._scope = scope
        self._receive = receive
        self._send = send
        self.started = False
        self.answered = False

    async def receive(self) -> Message:
        deadline = self._read.get("deadline")
        if not isinstance(deadline, float | int):
            return await self._receive()
        try:
            async with asyncio.timeout_at(deadline):
                return await self._receive()
        except TimeoutError:
            if not self.started and not self.answered:
                await send_problem(self._send, TOO_SLOW, self._scope)
                self.answered = True
            raise _ReadTimedOut from None

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
