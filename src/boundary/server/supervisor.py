"""`serve --workers N` (shell): a parent that binds both ports once and supervises N workers.

The parent binds the API and ops sockets before anything else (a taken port fails fast,
exit 1), then spawns N worker processes that share them; the kernel spreads connections.
On the first SIGTERM/SIGINT the parent closes its own copies of the sockets (so the ports
refuse new connections once the workers close theirs) and forwards the signal; each worker
then runs its own §7 shutdown. A second signal is forwarded too, so every worker exits at
once. A worker that dies while serving is replaced.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.process import BaseProcess
from signal import SIGINT, SIGTERM
from types import FrameType
from typing import Any

import setproctitle

from boundary.config.model import Settings
from boundary.observability.logging import configure_logging, get_logger
from boundary.observability.metrics.shell.prometheus import worker_exited
from boundary.server.worker import BoundSockets

POLL_INTERVAL = 0.1
PR_SET_PDEATHSIG = 1  # <sys/prctl.h>
RESPAWN_BACKOFF = 1.0
KILL_GRACE = 15.0


def _die_with_parent(parent_pid: int) -> None:
    """Linux: SIGTERM this worker when its supervisor dies (kill -9, OOM killer), so no orphan
    keeps serving on the shared ports; the signal takes the usual graceful-shutdown path."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def child_main(
    settings: Settings, sockets: BoundSockets, index: int, armed: Any, parent_pid: int
) -> None:
    """Entry point of one worker process. It starts with SIGTERM/SIGINT ignored (inherited
    from the parent's spawn), records them from here on, and tells the parent it is `armed`:
    only then does the parent forward signals to it, so none is lost or fatal while starting."""
    from boundary.server.worker import record_early_signal, run_worker

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, record_early_signal)
    # `ps` shows "boundary worker N" rather than N identical python command lines.
    setproctitle.setproctitle(f"boundary worker {index}")
    _die_with_parent(parent_pid)
    armed.set()
    from boundary.system import build_system

    log_settings = settings.logging
    configure_logging(
        level=log_settings.level,
        fmt=log_settings.format,
        service=settings.metrics.service,
        background=True,
    )
    raise SystemExit(run_worker(build_system(settings), sockets))


class Supervisor:
    """Runs until every worker has exited after a signal; `run()` returns the exit code."""

    def __init__(self, settings: Settings, sockets: BoundSockets, workers: int) -> None:
        self._settings = settings
        self._sockets = sockets
        self._count = workers
        self._log = get_logger("boundary.supervisor")
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: dict[int, BaseProcess] = {}
        self._armed: dict[int, Any] = {}
        self._delivered: dict[int, int] = {}
        self._signals: list[int] = []
        self._forwarded = 0
        self._codes: list[int] = []

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        for index in range(self._count):
            self._spawn(index)
        self._log.info("Supervising workers", workers=self._count, pid=os.getpid())
        deadline: float | None = None
        while self._procs:
            deadline = self._forward_signals(deadline)
            self._reap()
            if deadline is not None and time.monotonic() > deadline:
                self._kill_all()
            time.sleep(POLL_INTERVAL)
        code = 0 if self._codes and all(c == 0 for c in self._codes) else 1
        self._log.info("All workers stopped", exit_code=code)
        return code

    def _spawn(self, index: int) -> None:
        armed = self._ctx.Event()
        proc = self._ctx.Process(
            target=child_main,
            args=(self._settings, self._sockets, index, armed, os.getpid()),
            name=f"boundary-worker-{index}",
        )
        handlers = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (SIGTERM, SIGINT)}
        try:
            proc.start()
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        self._procs[index] = proc
        self._armed[index] = armed
        self._delivered[index] = 0
        self._log.info("Worker started", worker=index, worker_pid=proc.pid)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)

    def _forward_signals(self, deadline: float | None) -> float | None:
        """Pass every received signal to every armed worker (late-armed workers catch up);
        returns the kill deadline, set by the first signal."""
        while self._forwarded < len(self._signals):
            signum = self._signals[self._forwarded]
            self._forwarded += 1
            if self._forwarded == 1:
                self._close_parent_sockets()
                ops = self._settings.ops
                deadline = time.monotonic() + ops.graceful_shutdown_wait_duration
                deadline += ops.shutdown_timeout + KILL_GRACE
            self._log.info("Forwarding signal to workers", signal=signal.Signals(signum).name)
        for index, proc in self._procs.items():
            if not self._armed[index].is_set() or proc.pid is None or not proc.is_alive():
                continue
            for signum in self._signals[self._delivered[index] :]:
                os.kill(proc.pid, signum)
            self._delivered[index] = len(self._signals)
        return deadline

    def _close_parent_sockets(self) -> None:
        self._sockets.api.close()
        if self._sockets.ops is not None:
            self._sockets.ops.close()

    def _reap(self) -> None:
        for index, proc in list(self._procs.items()):
            if proc.is_alive():
                continue
            proc.join()
            del self._procs[index]
            if proc.pid is not None:
                worker_exited(proc.pid)  # its live gauges leave the Prometheus page
            code = proc.exitcode if proc.exitcode is not None else 1
            if self._signals:
                self._codes.append(code)
                self._log.info("Worker exited", worker=index, exit_code=code)
                continue
            self._log.error("Worker died; replacing it", worker=index, exit_code=code)
            time.sleep(RESPAWN_BACKOFF)
            self._spawn(index)

    def _kill_all(self) -> None:
        for proc in self._procs.values():
            if proc.is_alive():
                self._log.error("Worker did not stop in time; killing it", worker_pid=proc.pid)
                proc.kill()
