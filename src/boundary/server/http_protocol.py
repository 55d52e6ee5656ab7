"""The listeners' HTTP/1.1 protocol: uvicorn's httptools protocol plus the limits it lacks (shell).

uvicorn (with httptools) bounds neither the time a client may take to send a request nor the
size of its header section: a client sending one byte every few seconds holds a connection for
ever, and httptools buffers a header line of any length. This subclass adds, per connection:

- a read deadline (`request_read_timeout`), running from when the connection opens or the
  next request's first byte arrives until the request — head and body — is complete (its
  timer is only created when a read ends with the request incomplete, so the usual request
  that arrives in one read costs none). If it
  passes while the head is still arriving, the listener answers 408 itself and closes. Once the
  head is complete the app runs and waits for the body in `receive()`; the deadline goes to
  it in the scope (`ReadDeadlineMiddleware` answers that 408 through the edge). If the app
  answered without reading the whole body, the connection closes at the deadline. A connection
  that never sent a byte is closed without an answer.
- a header budget (`max_header_bytes`) for the request line plus every header line; a head
  over it gets 431. Two counts enforce it: header lines as the parser completes them (so 2,000
  small lines are caught however they arrive), and the raw bytes of reads that fall wholly
  inside one head (so a single endless line is caught before httptools buffers it all).
- the keep-alive idle time as a float (uvicorn's setting is whole seconds).

Refusals (also malformed HTTP, which uvicorn answers with a plain-text 400) are written by
`Refusal`; the connection then stops parsing, sends FIN and keeps reading — and dropping —
for at most `LINGER` seconds before it closes, so a client still writing its oversized head
reads our answer instead of a connection reset.
"""

from __future__ import annotations

import asyncio
import enum
from asyncio import TimerHandle
from dataclasses import dataclass
from typing import Any, Final

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from boundary.http.errors import CORRELATION_ID_STATE_KEY
from boundary.http.middleware.read_deadline import EXTENSION as READ_EXTENSION
from boundary.server.refusal import Refusal, Refused

LINGER: Final = 2.0
"""Seconds a refused connection keeps draining the client's bytes before it closes."""
_HEADER_LINE_OVERHEAD: Final = 4  # ": " and CRLF around each name/value pair
_REQUEST_LINE_OVERHEAD: Final = 14  # "GET " … " HTTP/1.1\r\n" beyond the target itself


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionLimits:
    """Per-connection bounds of one listener, in seconds and bytes."""

    request_read_timeout: float
    max_header_bytes: int
    keep_alive_timeout: float


class _Phase(enum.Enum):
    IDLE = "idle"  # between requests (or before the first byte)
    HEAD = "head"  # request line and headers arriving
    BODY = "body"  # head complete; body arriving or the app running


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a head over the budget."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's protocol with a read deadline, a header budget and a float keep-alive."""

    limits: ConnectionLimits
    refusal: Refusal

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout_keep_alive = self.limits.keep_alive_timeout  # type: ignore[assignment]
        self._phase = _Phase.IDLE
        self._begun = 0  # requests begun on this connection
        self._head_parsed = 0  # bytes of request line and header lines the parser completed
        self._head_raw = 0  # bytes of reads that fell wholly inside the current head
        self._head_too_large = False
        self._read_timer: TimerHandle | None = None
        self._deadline = 0.0
        self._expired = False
        self._read_state: dict[object, object] = {}
        self._refused = False
        self._linger: TimerHandle | None = None

    # --- connection -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline = self.loop.time() + self.limits.request_read_timeout
        self._read_timer = self.loop.call_at(self._deadline, self._read_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, plus the raw head count; refusals answered by `Refusal`."""
        if self._refused:
            return  # lingering: read and drop, so the client sees our answer, not a reset
        self._unset_keepalive_if_required()
        phase, begun = self._phase, self._begun
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # WebSockets are off: the request was served as plain HTTP. (uvicorn warns here
            # and suggests installing a WebSocket library — a log line any client could cause.)
            self.logger.debug("Upgrade request served as plain HTTP")
        except httptools.HttpParserError:
            if self._head_too_large:
                self._refuse(self._too_large())
            else:
                detail = "The request is not valid HTTP/1.1."
                self._refuse(Refused(400, "invalid_http", detail))
            return
        if self._phase is _Phase.IDLE:
            return
        if self._phase is _Phase.HEAD:
            same_head = phase is _Phase.HEAD and begun == self._begun
            new_head = phase is _Phase.IDLE and begun + 1 == self._begun
            if same_head or new_head:  # otherwise a pipelined head began mid-read: lines count
                self._head_raw += len(data)
                if self._head_raw > self.limits.max_header_bytes:
                    self._refuse(self._too_large())
                    return
        if self._read_timer is None:  # a request is incomplete after this read: bound it
            self._read_timer = self.loop.call_at(self._deadline, self._read_timed_out)

    # --- parser callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._phase = _Phase.HEAD
        self._begun += 1
        self._head_parsed = 0
        self._head_raw = 0
        if self._read_timer is None:  # else the first request: the deadline runs from connect
            self._expired = False
            self._deadline = self.loop.time() + self.limits.request_read_timeout

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + _HEADER_LINE_OVERHEAD)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._phase = _Phase.BODY
        self._read_state = {"deadline": self._deadline}
        self.scope["extensions"] = {READ_EXTENSION: self._read_state}
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._phase = _Phase.IDLE
        self._read_state["deadline"] = None
        self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._expired and self._phase is _Phase.BODY and not self.transport.is_closing():
            self.transport.close()  # answered without the rest of an overdue body

    def _count_head(self, size: int) -> None:
        self._head_parsed += size
        if self._head_parsed + _REQUEST_LINE_OVERHEAD > self.limits.max_header_bytes:
            self._head_too_large = True
            raise _HeadTooLarge

    def _too_large(self) -> Refused:
        limit = self.limits.max_header_bytes
        detail = f"The request line and headers exceed the limit of {limit} bytes."
        return Refused(431, "header_too_large", detail)

    # --- read deadline ----------------------------------------------------------------------

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        self._expired = True
        if self._refused or self.transport.is_closing():
            return
        if self._phase is _Phase.IDLE:
            self.transport.close()  # connected, never sent a byte
        elif self._phase is _Phase.HEAD:
            seconds = f"{self.limits.request_read_timeout:g}"
            detail = f"The request was not received within {seconds} seconds."
            self._refuse(Refused(408, "read_timeout", detail))
        elif self.cycle is not None and self.cycle.response_complete:
            self.transport.close()  # answered early; the client is still trickling a body
        # else the app waits for the body: ReadDeadlineMiddleware answers 408 in its receive()

    # --- refusing ---------------------------------------------------------------------------

    def _refuse(self, refused: Refused) -> None:
        """Answer `refused` (unless a response is already under way) and close politely."""
        self._refused = True
        self._disarm()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's answer must not follow ours
            cycle.message_event.set()
            if cycle.response_started:
                self.transport.close()
                return
        self.transport.write(
            self.refusal.answer(
                refused,
                headers=self.headers or (),
                default_headers=self.server_state.default_headers,
                peer=self.client[0] if self.client else None,
                received=max(self._head_parsed, self._head_raw),
                correlation_id=self._app_correlation_id(),
            )
        )
        self.flow.resume_reading()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._linger = self.loop.call_later(LINGER, self.transport.close)

    def _app_correlation_id(self) -> str | None:
        """The id the edge gave the request the app is running (a body that turned out not
        to be HTTP), so our answer and its access event line up."""
        if self._phase is not _Phase.BODY:
            return None
        cid = self.scope.get("state", {}).get(CORRELATION_ID_STATE_KEY)
        return cid if isinstance(cid, str) else None


def guarded_protocol(limits: ConnectionLimits, refusal: Refusal) -> type[GuardedHttpToolsProtocol]:
    """A protocol class for one listener (uvicorn instantiates it per connection)."""
    return type(
        "ListenerHttpProtocol", (GuardedHttpToolsProtocol,), {"limits": limits, "refusal": refusal}
    )
