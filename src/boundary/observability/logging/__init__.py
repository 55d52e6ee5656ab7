"""Structured logging for Boundary: one line per event, console or json, always redacted.

`configure_logging` once from the composition root; `get_logger(__name__)` anywhere.
"""

from boundary.observability.logging.ports import Logger
from boundary.observability.logging.shell import (
    configure_logging,
    flush_logs,
    get_logger,
    reset_logging,
)

__all__ = ["Logger", "configure_logging", "flush_logs", "get_logger", "reset_logging"]
