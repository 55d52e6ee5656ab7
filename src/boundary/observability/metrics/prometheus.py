"""Prometheus exposition (shell): one registry per process, built by the composition root.

Only the process and platform collectors live here for now; the metrics adapters of §9
register their collectors on the same registry.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)


def build_registry() -> CollectorRegistry:
    """A fresh registry with process and platform metrics (never the global default)."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The text format page for `/metrics` and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
