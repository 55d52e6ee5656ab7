"""Fixtures that start `boundary serve` as a real subprocess."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.process import Service

StartService = Callable[..., Service]


@pytest.fixture
def start_service() -> Iterator[StartService]:
    """Start services (ready unless `ready=False`); every one is killed at teardown."""
    started: list[Service] = []

    def start(
        env: dict[str, str] | None = None, args: tuple[str, ...] = (), ready: bool = True
    ) -> Service:
        service = Service(env, args)
        started.append(service)
        if ready:
            service.wait_ready()
        return service

    yield start
    for service in started:
        service.stop()
