"""Listening sockets and the uvicorn servers on them (shell).

We run uvicorn's `Server` piecewise instead of `Server.serve()`: `serve()` binds only after
lifespan start-up and closes the socket the moment a signal arrives, so a readiness flag
flipped during start-up or shutdown would never be served. Here the socket is bound first,
the server accepts at once, and closing, draining and stopping are separate steps the
process runner calls in the order §7 prescribes.

uvicorn's defaults that would override our own settings are switched off here, for both
listeners: its proxy-header handling (on by default, trusting `X-Forwarded-For` and
`X-Forwarded-Proto` from loopback peers or whatever `FORWARDED_ALLOW_IPS` says) would rewrite
the peer address before our middleware sees it — `http.trusted_proxies` alone decides whose
`X-Forwarded-For` counts (§5). WebSockets are off (no route uses them; an upgrade would bypass the
edge). Each connection runs `GuardedHttpToolsProtocol`: read deadline, header budget,
keep-alive idle time.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import TYPE_CHECKING, Any, Final

import uvicorn

from boundary.http.app import security_header_values
from boundary.observability.logging import get_logger
from boundary.server.http_protocol import ConnectionLimits, guarded_protocol
from boundary.server.refusal import Refusal

if TYPE_CHECKING:
    from boundary.config.model import Settings

OPS_LIMITS: Final = ConnectionLimits(
    request_read_timeout=5.0, max_header_bytes=8192, keep_alive_timeout=5.0
)
"""The ops listener's bounds. Fixed rather than the API's settings: its clients are probes and
scrapers sending small requests at once, and loosening the API (long uploads, big cookies)
should not loosen the port that decides whether this instance gets traffic."""


def api_limits(settings: Settings) -> ConnectionLimits:
    http = settings.http
    return ConnectionLimits(
        request_read_timeout=http.request_read_timeout,
        max_header_bytes=http.max_header_bytes,
        keep_alive_timeout=http.keep_alive_timeout,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket, inheritable so `--workers N` children can share it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class ListenerServer:
    """One uvicorn server on one pre-bound socket, with explicit stop/drain/close steps."""

    def __init__(self, app: Any, limits: ConnectionLimits, refusal: Refusal) -> None:
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            http=guarded_protocol(limits, refusal),
            ws="none",
            loop="none",
            server_header=False,
            proxy_headers=False,
            forwarded_allow_ips=[],
            workers=1,  # else uvicorn reads WEB_CONCURRENCY (and fails on a non-number)
        )
        config.load()
        self._server = uvicorn.Server(config)
        self._server.lifespan = config.lifespan_class(config)
        self._ticker: asyncio.Task[None] | None = None

    @classmethod
    def for_api(cls, app: Any, settings: Settings) -> ListenerServer:
        return cls(app, api_limits(settings), _refusal("api", settings))

    @classmethod
    def for_ops(cls, app: Any, settings: Settings) -> ListenerServer:
        return cls(app, OPS_LIMITS, _refusal("ops", settings))

    async def start(self, sock: socket.socket) -> None:
        """Accept connections on `sock` from now on."""
        await self._server.startup(sockets=[sock])
        self._ticker = asyncio.create_task(self._server.main_loop(), name="uvicorn-tick")

    def stop_accepting(self) -> None:
        """Close the listening side: new connections are refused (in-flight ones continue)."""
        for server in self._server.servers:
            server.close()

    @property
    def in_flight(self) -> int:
        state = self._server.server_state
        return len(state.tasks)

    async def drain(self, limit: float) -> bool:
        """Finish in-flight requests and close idle connections; False if `timeout` cut it."""
        state = self._server.server_state
        for connection in list(state.connections):
            connection.shutdown()
        deadline = time.monotonic() + limit
        while (state.connections or state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            for connection in list(state.connections):
                connection.shutdown()
        if not state.connections and not state.tasks:
            return True
        for task in list(state.tasks):
            task.cancel(msg="drain deadline exceeded")
        for connection in list(state.connections):
            with contextlib.suppress(Exception):
                connection.transport.close()
        return False

    async def close(self) -> None:
        """Stop the server's ticker; call after drain()."""
        self._server.should_exit = True
        if self._ticker is not None:
            await self._ticker


def _refusal(listener: str, settings: Settings) -> Refusal:
    return Refusal(
        listener=listener,
        security_headers=security_header_values(settings),
        trusted_proxies=settings.http.trusted_proxies,
        logger=get_logger("boundary.http.listener"),
    )
