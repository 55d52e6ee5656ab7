"""HTTP shell middleware: refuse request bodies over `max_body_bytes` with a 413 problem.

Two checks, because a declared length is only a promise: a `Content-Length` over the limit is
refused before the app runs or a byte is read; a body that grows past the limit while the app
reads it (chunked, or a length that lied) is cut off at the chunk that crosses it. In that case
this layer answers 413 itself at once, makes the app's own sends no-ops, and raises into the
app's `receive()` so it stops reading. The exception is a Starlette `HTTPException(413)`, so
FastAPI passes it through its body parsing unchanged and answers it quietly (no 500, no error
log) — into the void, since the 413 has already gone out.
"""

from __future__ import annotations

from typing import Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boundary.http.errors import send_problem
from boundary.kernel.problems import Problem, standard_problem

_CONTENT_LENGTH: Final = b"content-length"
_MAX_DIGITS: Final = 19  # longer than any sane limit; also keeps int() far from its digit cap


class _BodyTooLarge(HTTPException):
    """Raised into the app's `receive()` once the body crossed the limit."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class _InvalidContentLength(Exception):
    pass


class BodyLimitMiddleware:
    """413 for oversized bodies, 400 for an unparseable Content-Length."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
            raise TypeError(f"max_body_bytes must be an int, got {max_body_bytes!r}")
        if max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, got {max_body_bytes}")
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._too_large = standard_problem(
            413, detail=f"The request body exceeds the limit of {max_body_bytes} bytes."
        )
        self._bad_length = standard_problem(
            400, detail="The Content-Length header is not a valid length."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            declared = declared_length(scope)
        except _InvalidContentLength:
            await send_problem(send, self._bad_length, scope)
            return
        if declared is not None and declared > self.max_body_bytes:
            await send_problem(send, self._too_large, scope)
            return
        if declared == 0 or (declared is None and not _chunked(scope)):
            await self.app(scope, receive, send)  # no body can follow: nothing to count
            return
        await _LimitedRequest(self.max_body_bytes, self._too_large, scope, receive, send).run(
            self.app
        )


def declared_length(scope: Scope) -> int | None:
    """Content-Length as an int; None when absent. Repeats must agree (RFC 9110 §8.6)."""
    value: bytes | None = None
    for name, raw in scope["headers"]:
        if name == _CONTENT_LENGTH:
            if value is not None and raw.strip() != value:
                raise _InvalidContentLength
            value = raw.strip()
    if value is None:
        return None
    if not value.isdigit():  # bytes.isdigit is ASCII-only: no signs, spaces or "²"
        raise _InvalidContentLength
    return int(value) if len(value) <= _MAX_DIGITS else 10**_MAX_DIGITS


def _chunked(scope: Scope) -> bool:
    """A `Transfer-Encoding` was sent: a body of unannounced length may follow."""
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


class _LimitedRequest:
    """One request's byte count and who has answered it."""

    __slots__ = (
        "_limit",
        "_problem",
        "_receive",
        "_scope",
        "_send",
        "answered",
        "started",
        "total",
    )

    def __init__(
        self, limit: int, problem: Problem, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self._limit = limit
        self._problem = problem
        self._scope = scope
        self._receive = receive
        self._send = send
        self.total = 0
        self.started = False
        self.answered = False

    async def run(self, app: ASGIApp) -> None:
        try:
            await app(self._scope, self.receive, self.send)
        except Exception:
            if not self.answered:
                raise
            # The app failed because we cut its body off; the client already has its 413.

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.total += len(message.get("body", b""))
            if self.total > self._limit:
                await self._answer()
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def _answer(self) -> None:
        """Send the 413 unless the app's response is already under way."""
        if not self.started and not self.answered:
            await send_problem(self._send, self._problem, self._scope)
            self.answered = True
