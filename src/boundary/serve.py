"""`boundary serve` (shell): configure logging, bind both ports, run one worker or a supervisor."""

from __future__ import annotations

from boundary.config.shell import LoadedConfig
from boundary.observability.logging import configure_logging, get_logger
from boundary.ops.shell.listeners import bind_socket
from boundary.ops.shell.worker import BoundSockets


def serve(loaded: LoadedConfig) -> int:
    """Run until shut down; the exit code per §7 (1 also when a port cannot be bound)."""
    settings = loaded.settings
    configure_logging(
        level=settings.logging.level, fmt=settings.logging.format, service=settings.metrics.service
    )
    log = get_logger("boundary.server")
    for warning in loaded.warnings:
        log.warn(warning)
    try:
        sockets = _bind(loaded)
    except OSError as exc:
        log.fatal(
            "Cannot bind listener", **{"error.kind": type(exc).__name__, "error.message": str(exc)}
        )
        return 1
    workers = settings.http.workers
    if workers > 1:
        from boundary.ops.shell.supervisor import Supervisor

        return Supervisor(settings, sockets, workers).run()
    from boundary.ops.shell.worker import run_worker
    from boundary.system import build_system

    return run_worker(build_system(settings), sockets)


def _bind(loaded: LoadedConfig) -> BoundSockets:
    settings = loaded.settings
    api = bind_socket(settings.http.host, settings.http.port)
    if not settings.ops.enabled:
        return BoundSockets(api=api, ops=None)
    try:
        ops = bind_socket(settings.ops.host, settings.ops.port)
    except OSError:
        api.close()
        raise
    return BoundSockets(api=api, ops=ops)
