"""`boundary serve` (shell): configure logging, bind both ports, run one worker or a supervisor."""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
from collections.abc import Iterator

from boundary.config.model import Settings
from boundary.config.shell import LoadedConfig
from boundary.observability.logging import configure_logging, get_logger
from boundary.server.listeners import bind_socket
from boundary.server.worker import BoundSockets


def serve(loaded: LoadedConfig) -> int:
    """Run until shut down; the exit code per §7 (1 also when a port cannot be bound)."""
    settings = loaded.settings
    configure_logging(
        level=settings.logging.level,
        fmt=settings.logging.format,
        service=settings.metrics.service,
        background=True,
    )
    log = get_logger("boundary.server")
    for warning in loaded.warnings:
        log.warn(warning)
    try:
        sockets = _bind(loaded)
    except ListenerBindError as exc:
        log.fatal(
            str(exc),
            listener=exc.listener,
            host=exc.host,
            port=exc.port,
            **{"error.kind": type(exc.error).__name__, "error.message": str(exc.error)},
        )
        return 1
    workers = settings.http.workers
    if workers > 1:
        from boundary.server.supervisor import Supervisor

        with _shared_prometheus(settings):
            return Supervisor(settings, sockets, workers).run()
    from boundary.server.worker import run_worker
    from boundary.system import build_system

    return run_worker(build_system(settings), sockets)


@contextlib.contextmanager
def _shared_prometheus(settings: Settings) -> Iterator[None]:
    """With several workers, Prometheus values go through files in one directory that every
    worker's `/metrics` aggregates (prometheus-client's multiprocess mode). The directory is
    `PROMETHEUS_MULTIPROC_DIR` when set, else a private temporary one removed at exit."""
    if "prometheus" not in settings.metrics.providers:
        yield
        return
    from boundary.observability.metrics.shell.prometheus import (
        multiprocess_directory,
        prepare_multiprocess,
    )

    given = multiprocess_directory()
    directory = given or tempfile.mkdtemp(prefix="boundary-metrics-")
    prepare_multiprocess(directory)
    try:
        yield
    finally:
        if given is None:
            shutil.rmtree(directory, ignore_errors=True)


class ListenerBindError(Exception):
    """A listener's port could not be bound; says which listener, so an operator whose ops port
    clashes is not sent looking at the API port."""

    def __init__(self, listener: str, host: str, port: int, error: OSError) -> None:
        super().__init__(
            f"Cannot bind the {listener} listener on {host}:{port}: {error.strerror or error}"
        )
        self.listener, self.host, self.port, self.error = listener, host, port, error


def _bind_listener(listener: str, host: str, port: int) -> socket.socket:
    try:
        return bind_socket(host, port)
    except OSError as exc:
        raise ListenerBindError(listener, host, port, exc) from exc


def _bind(loaded: LoadedConfig) -> BoundSockets:
    settings = loaded.settings
    api = _bind_listener("api", settings.http.host, settings.http.port)
    if not settings.ops.enabled:
        return BoundSockets(api=api, ops=None)
    try:
        ops = _bind_listener("ops", settings.ops.host, settings.ops.port)
    except ListenerBindError:
        api.close()
        raise
    return BoundSockets(api=api, ops=ops)
