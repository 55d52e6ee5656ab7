"""The guard in tests/unit/conftest.py: a unit test cannot reach the network or start a process."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import subprocess
import sys

import pytest
from pytest_socket import SocketBlockedError

from tests.unit.conftest import ProcessSpawnedInUnitTest


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket")
def test_a_network_socket_is_refused() -> None:
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def test_a_subprocess_is_refused() -> None:
    with pytest.raises(ProcessSpawnedInUnitTest):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_a_shell_command_is_refused() -> None:
    with pytest.raises(ProcessSpawnedInUnitTest):
        os.system("true")


def test_a_spawned_python_process_is_refused() -> None:
    process = multiprocessing.get_context("spawn").Process(target=print)
    with pytest.raises(ProcessSpawnedInUnitTest):
        process.start()


def test_the_event_loop_still_runs() -> None:
    """asyncio wakes itself through a Unix socket pair: that one stays allowed."""
    assert asyncio.run(asyncio.sleep(0, result=42)) == 42
