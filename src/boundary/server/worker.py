"""One serving process (shell): both listeners, start-up, and graceful shutdown per §7.

The sequence, each step bounded and logged with its elapsed time:
  starting  listeners already accept; /health/live 200, /health/ready 503; slow start-up work
  active    serving; ops /health 200 while checks pass and the loop beats
  draining  first SIGTERM/SIGINT: ops /health and /health/ready 503 at once, the API keeps
            serving normally for `graceful_shutdown_wait_duration`
  stopping  the API stops accepting (new connections refused), in-flight requests finish up to
            `ops.shutdown_timeout`, then resources close (pool, metrics, error reports)
  stopped   the ops listener closes; exit 0, or 1 when the drain deadline cut requests short
A second signal in any phase exits at once with status 1.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Literal

from boundary.http.app import create_api_app, create_ops_app
from boundary.observability.logging import Logger, flush_logs, get_logger
from boundary.ops.core import Phase
from boundary.server.listeners import ListenerServer
from boundary.server.ops_thread import OpsThread
from boundary.system import System

CLOSE_RESOURCES_TIMEOUT = 10.0

StartOutcome = Literal["active", "interrupted", "failed"]

EARLY_SIGNALS: list[int] = []
"""Signals that arrived before the event loop's handlers existed (see `record_early_signal`)."""


def record_early_signal(signum: int, frame: object) -> None:
    """Installed first thing in a worker process: keep a SIGTERM that arrives while the worker
    is still importing, instead of dying from it; `WorkerRunner` replays it once running."""
    EARLY_SIGNALS.append(signum)


@dataclass(frozen=True, slots=True)
class BoundSockets:
    api: socket.socket
    ops: socket.socket | None


def _addr(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"{host}:{port}"


GC_THRESHOLDS = (50_000, 20, 100)


def _settle_the_heap() -> None:
    """Move everything start-up made (modules, the app, the routes, the pool) out of the
    garbage collector's reach: a full collection no longer walks those hundreds of thousands
    of objects that live as long as the process, which showed as the tail (p99) of cheap
    requests. Objects made later are collected as usual, but less often: a request makes a
    few hundred short-lived objects, so the default threshold (700 allocations) ran a young
    collection every few requests and an old one every few hundred. Measured on the bench
    (`/auth/me`, 50 connections, 3 runs each): p99 36, 39, 13 ms with the defaults; 15, 33,
    10 ms with (50,000, 20, 100); peak RSS unchanged."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class WorkerRunner:
    """Drives one process's lifecycle; `run()` returns the exit code."""

    def __init__(self, system: System, sockets: BoundSockets, logger: Logger | None = None) -> None:
        self._system = system
        self._sockets = sockets
        self._log = logger or get_logger("boundary.server")
        self._stop = asyncio.Event()
        self._signals = 0

    async def run(self) -> int:
        self._install_signal_handlers()
        ops = self._start_ops()
        api = ListenerServer.for_api(create_api_app(self._system), self._system.settings)
        await api.start(self._sockets.api)
        self._log.info(
            "Listening",
            api=_addr(self._sockets.api),
            ops=_addr(self._sockets.ops) if self._sockets.ops else None,
            pid=os.getpid(),
            environment=self._system.settings.environment,
            version=self._system.version,
        )
        self._system.monitor.start()
        outcome = await self._start_up()
        if outcome == "active":
            _settle_the_heap()
            await self._stop.wait()
        return await self._shut_down(api, ops, outcome=outcome)

    def _start_ops(self) -> OpsThread | None:
        if self._sockets.ops is None:
            return None
        server = ListenerServer.for_ops(create_ops_app(self._system), self._system.settings)
        ops = OpsThread(server, self._sockets.ops, self._log)
        ops.start()
        return ops

    async def _start_up(self) -> StartOutcome:
        """Run start-up work unless a signal comes first."""
        started = time.monotonic()
        work = asyncio.create_task(self._system.start(), name="startup")
        stop = asyncio.create_task(self._stop.wait(), name="stop-wait")
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not work.done():
            work.cancel()
            self._log.warn("Start-up interrupted by shutdown signal")
            return "interrupted"
        if (exc := work.exception()) is not None:
            self._log.fatal(
                "Start-up failed",
                **{"error.kind": type(exc).__name__, "error.message": str(exc)},
            )
            return "failed"
        await self._system.monitor.refresh()
        self._system.lifecycle.move_to(Phase.ACTIVE)
        self._log.info("Started", duration_ms=round((time.monotonic() - started) * 1000, 1))
        return "active"

    async def _shut_down(
        self, api: ListenerServer, ops: OpsThread | None, *, outcome: StartOutcome
    ) -> int:
        ops_settings = self._system.settings.ops
        lifecycle = self._system.lifecycle
        if outcome == "active":
            lifecycle.move_to(Phase.DRAINING)
            await self._wait_phase(ops_settings.graceful_shutdown_wait_duration)
        lifecycle.move_to(Phase.STOPPING)
        api.stop_accepting()
        in_flight = api.in_flight
        drained = await api.drain(ops_settings.shutdown_timeout)
        log = self._log.info if drained else self._log.error
        log(
            "In-flight requests drained" if drained else "Drain deadline exceeded; requests cut",
            in_flight=in_flight,
            duration_ms=round(lifecycle.seconds_in_phase() * 1000, 1),
        )
        closed = await self._close_resources()
        await api.close()
        lifecycle.move_to(Phase.STOPPED)
        if ops is not None:
            ops.stop()
        code = 0 if (drained and closed and outcome != "failed") else 1
        self._log.info("Stopped", exit_code=code)
        return code

    async def _wait_phase(self, seconds: float) -> None:
        """Keep serving normally while load balancers notice the 503 on ops /health."""
        if seconds > 0:
            self._log.info(
                "Draining: serving normally while load balancers deregister", wait_s=seconds
            )
            await asyncio.sleep(seconds)
        self._log.info("Drain wait over", duration_ms=round(seconds * 1000, 1))

    async def _close_resources(self) -> bool:
        started = time.monotonic()
        await self._system.monitor.stop()
        try:
            await asyncio.wait_for(self._system.aclose(), CLOSE_RESOURCES_TIMEOUT)
            ok = True
        except TimeoutError:
            self._log.error("Closing resources timed out", timeout_s=CLOSE_RESOURCES_TIMEOUT)
            ok = False
        self._log.info(
            "Resources closed", duration_ms=round((time.monotonic() - started) * 1000, 1)
        )
        return ok

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        early, EARLY_SIGNALS[:] = list(EARLY_SIGNALS), []
        for signum in early:
            self._on_signal(signal.Signals(signum))

    def _on_signal(self, sig: signal.Signals) -> None:
        self._signals += 1
        if self._signals > 1:
            self._log.warn("Second signal received; exiting now", signal=sig.name)
            flush_logs()
            sys.stdout.flush()
            os._exit(1)
        self._log.info(
            "Shutdown signal received",
            signal=sig.name,
            wait_s=self._system.settings.ops.graceful_shutdown_wait_duration,
            drain_timeout_s=self._system.settings.ops.shutdown_timeout,
        )
        self._stop.set()


def run_worker(system: System, sockets: BoundSockets) -> int:
    """Serve until shut down, on uvloop; returns the process exit code."""
    import uvloop

    return uvloop.run(WorkerRunner(system, sockets).run())
