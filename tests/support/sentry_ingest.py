"""A local stand-in for Sentry's ingest endpoint: keeps every envelope POSTed to it."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Ingest(ThreadingHTTPServer):
    """Keeps the raw (decompressed) body of every envelope POSTed to it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[bytes] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def envelopes(self) -> list[list[dict[str, Any]]]:
        with self.lock:
            return [parse_envelope(body) for body in self.bodies]

    def events(self) -> list[dict[str, Any]]:
        return [item for envelope in self.envelopes() for item in envelope[1:] if "level" in item]


class _Handler(BaseHTTPRequestHandler):
    server: Ingest

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self.server.lock:
            self.server.bodies.append(body)
            self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        return None


def parse_envelope(body: bytes) -> list[dict[str, Any]]:
    """The envelope header and the JSON items (non-JSON payloads are skipped)."""
    parsed: list[dict[str, Any]] = []
    for line in body.split(b"\n"):
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except ValueError:
                continue
    return parsed
