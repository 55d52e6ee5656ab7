"""Slow and oversized requests against a real `boundary serve`: 408, 431, keep-alive idle.

Raw sockets, because an HTTP client cannot be made to send one byte every two seconds or
a 70 KB header on purpose. Every wait is bounded by an event (an answer, a closed socket),
never by a measured duration.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.process import Service

pytestmark = pytest.mark.e2e

SECURITY_HEADERS = {
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "strict-transport-security",
    "x-xss-protection",
    "referrer-policy",
}


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    """One service with the default header budget (16 KiB) and test-sized timeouts."""
    svc = Service(
        {
            "LOG_FORMAT": "json",
            "BOUNDARY_HTTP__REQUEST_READ_TIMEOUT": "3s",
            "BOUNDARY_HTTP__KEEP_ALIVE_TIMEOUT": "1s",
        }
    )
    try:
        svc.wait_ready()
        yield svc
    finally:
        svc.stop()


class Response:
    """A raw HTTP/1.1 response as read off a socket until the server closed it."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines)
        }

    def problem(self) -> dict[str, object]:
        assert self.headers["content-type"] == "application/problem+json"
        body: dict[str, object] = json.loads(self.body)
        return body


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=15)


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def read_one_response(sock: socket.socket) -> bytes:
    """Exactly one response with a Content-Length body, leaving the connection open."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    length = int(Response(data).headers["content-length"])
    while len(data.partition(b"\r\n\r\n")[2]) < length:
        data += sock.recv(65536)
    return data


def send_and_read(port: int, request: bytes) -> Response:
    with connect(port) as sock:
        sock.sendall(request)
        return Response(read_until_closed(sock))


def get_with(headers: bytes, path: bytes = b"/health/live") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: test\r\n" + headers + b"Connection: close\r\n\r\n"


def assert_edge_answer(response: Response, status: int) -> dict[str, object]:
    assert response.status == status
    assert set(response.headers) >= SECURITY_HEADERS
    assert response.headers["connection"] == "close"
    problem = response.problem()
    assert problem["status"] == status
    assert problem["correlation_id"] == response.headers["x-correlation-id"]
    return problem


def refusals(svc: Service, count: int) -> list[dict[str, object]]:
    """The `request_refused` WARN events, once `count` are there (bounded wait)."""
    deadline = time.monotonic() + 10
    while True:
        events = [json.loads(line) for line in list(svc.lines) if line.startswith("{")]
        found = [e for e in events if e["message"] == "request_refused"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


class Trickle:
    """Sends `payload` on `sock` one byte every `interval` seconds until the server answers;
    `sent` counts the bytes that went out before the answer."""

    def __init__(self, sock: socket.socket, payload: bytes, interval: float) -> None:
        self.sock = sock
        self.payload = payload
        self.interval = interval
        self.sent = 0
        self.started = threading.Event()
        self.answered = threading.Event()
        self.raw = b""

    def run(self) -> None:
        self.sock.settimeout(self.interval)
        for byte in self.payload:
            self.sock.sendall(bytes([byte]))
            self.sent += 1
            self.started.set()
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue  # no answer during this interval: send the next byte
            self.sock.settimeout(15)
            self.raw = chunk + read_until_closed(self.sock)
            break
        self.answered.set()


def test_a_slow_head_gets_408_while_other_connections_are_served(service: Service) -> None:
    """One byte every 2 s against a 3 s read timeout: 408 before the request is half sent;
    meanwhile requests on other connections are answered."""
    request = get_with(b"X-Correlation-ID: slow-head-1\r\n")
    with connect(service.api_port) as sock:
        slow = Trickle(sock, request, interval=2.0)
        sender = threading.Thread(target=slow.run, daemon=True)
        sender.start()
        assert slow.started.wait(10)
        served_meanwhile = []
        while not slow.answered.is_set():
            response = httpx.get(f"{service.api}/health/live", timeout=5)
            served_meanwhile.append(response.status_code)
            time.sleep(0.2)
        sender.join(15)

    assert slow.sent < len(request) // 2
    problem = assert_edge_answer(Response(slow.raw), 408)
    assert problem["type"] == "/problems/request-timeout"
    assert served_meanwhile
    assert set(served_meanwhile) == {200}
    event = refusals(service, 1)[-1]
    assert (event["status"], event["reason"]) == (408, "read_timeout")
    assert event["client-ip"] == "127.0.0.1"


def test_a_slow_body_gets_408_through_the_edge(service: Service) -> None:
    """Head complete, then the body one byte a second: the app's body read times out and the
    408 passes the edge — the request's correlation id and an access event with status 408."""
    head = (
        b"POST /api/v1/_test/echo HTTP/1.1\r\nHost: test\r\nContent-Length: 40\r\n"
        b"X-Correlation-ID: slow-body-1\r\n\r\n"
    )
    with connect(service.api_port) as sock:
        sock.sendall(head)
        slow = Trickle(sock, b"x" * 40, interval=1.0)
        slow.run()

    assert slow.sent < 40
    problem = assert_edge_answer(Response(slow.raw), 408)
    assert problem["correlation_id"] == "slow-body-1"
    assert problem["instance"] == "/api/v1/_test/echo"
    deadline = time.monotonic() + 10
    while not any('"slow-body-1"' in line and '"status":408' in line for line in service.lines):
        assert time.monotonic() < deadline, "no access event for the 408"
        time.sleep(0.05)


def test_a_silent_connection_and_an_idle_keep_alive_connection_are_closed(
    service: Service,
) -> None:
    """Connected but silent: closed at the read timeout without an answer. After a response,
    a keep-alive connection idle past `http.keep_alive_timeout` is closed by the server."""
    with connect(service.api_port) as silent:
        assert silent.recv(100) == b""

    with connect(service.api_port) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
        first = Response(read_one_response(sock))
        assert first.status == 200
        assert "connection" not in first.headers  # kept alive
        assert sock.recv(100) == b""  # then closed by the server, well before our 15 s timeout


def test_oversized_heads_get_431(service: Service) -> None:
    """One 70 KB header; 2,000 small header lines: 431 problem, security headers, the
    client's correlation id when its line arrived before the budget ran out, a WARN event."""
    before = len(refusals(service, 0))
    big = send_and_read(
        service.api_port, get_with(b"X-Correlation-ID: big-1\r\nX-Big: " + b"a" * 70_000 + b"\r\n")
    )
    many = send_and_read(
        service.api_port, get_with(b"".join(b"X-Line-%d: v\r\n" % n for n in range(2000)))
    )

    assert assert_edge_answer(big, 431)["correlation_id"] == "big-1"
    assert assert_edge_answer(many, 431)["type"] == "/problems/request-header-fields-too-large"
    events = refusals(service, before + 2)[before:]
    assert [(e["status"], e["reason"]) for e in events] == [(431, "header_too_large")] * 2


def test_big_but_allowed_heads_are_served(service: Service) -> None:
    """12 KB in one header, and about 13.5 KB over 400 lines: under the 16 KiB budget."""
    one = httpx.get(f"{service.api}/health/live", headers={"X-Big": "b" * 12_000})
    lines = {f"X-Line-{n}": "v" * 20 for n in range(400)}
    many = httpx.get(f"{service.api}/health/live", headers=lines)

    assert one.status_code == 200
    assert many.status_code == 200


def test_the_ops_listener_has_its_own_fixed_header_budget(service: Service) -> None:
    """Ops requests are probes: 8 KiB of head, whatever the API allows."""
    refused = send_and_read(service.ops_port, get_with(b"X-Big: " + b"c" * 10_000 + b"\r\n"))
    served = httpx.get(f"{service.ops}/health/live", headers={"X-Small": "d" * 4000})

    assert_edge_answer(refused, 431)
    assert served.status_code == 200
