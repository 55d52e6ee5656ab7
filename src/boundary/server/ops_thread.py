"""The ops listener's own thread and event loop (shell).

Health probes must be answered even when the API event loop is blocked: a probe that waits
on a stuck loop just times out, and a load balancer keeps sending traffic meanwhile. So the
ops listener gets a thread with its own loop; it reads the `Lifecycle` and never awaits the
API loop.
"""

from __future__ import annotations

import asyncio
import socket
import threading

from boundary.observability.logging import Logger
from boundary.server.listeners import ListenerServer


class OpsThread:
    """Runs the ops app's `ListenerServer` on a dedicated thread and loop."""

    def __init__(self, server: ListenerServer, sock: socket.socket, logger: Logger) -> None:
        self._server = server
        self._sock = sock
        self._log = logger
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ops-listener", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; returns once the listener accepts, raises if it could not start."""
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("ops listener did not start in time")
        if self._error is not None:
            raise RuntimeError("ops listener failed to start") from self._error

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, finish in-flight probes (bounded), and join the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            import uvloop

            uvloop.run(self._main())
        except (
            BaseException
        ) as exc:  # reported to start() or logged; the thread must not die silently
            self._error = exc
            self._started.set()
            self._log.error(
                "Ops listener stopped unexpectedly", **{"error.kind": type(exc).__name__}
            )

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = self._server
        await server.start(self._sock)
        self._started.set()
        await self._stop.wait()
        server.stop_accepting()
        await server.drain(2.0)
        await server.close()
