"""tests/unit is I/O-free: a test here that opens a network socket or starts a process fails.

Sockets are refused by pytest-socket (AF_UNIX stays allowed: asyncio's event loop wakes
itself through a Unix socket pair). Processes are refused by the fixture below, as no plugin
does it: `subprocess.Popen`'s start (`subprocess.run` and asyncio's subprocesses go through
it), `_posixsubprocess.fork_exec` (multiprocessing's spawn), `os.system`, `os.fork` and
`os.posix_spawn*`. A guard, not a sandbox: it catches the test that did it by accident.
A test that needs either belongs in tests/integration, tests/e2e or tests/ops.
"""

from __future__ import annotations

import _posixsubprocess
import os
import subprocess
from collections.abc import Iterator
from typing import NoReturn

import pytest
from pytest_socket import disable_socket, enable_socket


class ProcessSpawnedInUnitTest(RuntimeError):
    """A unit test tried to start a process."""


def _refuse(*args: object, **kwargs: object) -> NoReturn:
    raise ProcessSpawnedInUnitTest(
        "tests/unit is I/O-free: a test that starts a process belongs in tests/integration, "
        "tests/e2e or tests/ops"
    )


@pytest.fixture(autouse=True)
def _no_network_no_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse)
    monkeypatch.setattr(os, "system", _refuse)
    monkeypatch.setattr(os, "posix_spawn", _refuse)
    monkeypatch.setattr(os, "posix_spawnp", _refuse)
    monkeypatch.setattr(_posixsubprocess, "fork_exec", _refuse)
    monkeypatch.setattr(os, "fork", _refuse)
    try:
        yield
    finally:
        enable_socket()
