"""wrk: install it when missing, build its Lua script for a request, run it, read its result.

A request is a method, a path and headers, plus optionally a list of paths or JSON bodies
of which every request picks one at random (a reader of random users, a login of random
users). bench/report.lua prints the result as one JSON line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPORT = (Path(__file__).resolve().parents[1] / "report.lua").read_text()


@dataclass(frozen=True)
class Load:
    """How hard to push: wrk's threads, connections, duration and per-request timeout."""

    threads: int = 1
    connections: int = 50
    seconds: float = 10
    timeout_s: float = 30


@dataclass(frozen=True)
class Request:
    """What wrk sends: `url`'s path, or one of `paths` / `bodies` at random per request."""

    url: str
    method: str = "GET"
    headers: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    bodies: tuple[str, ...] = field(default=(), repr=False)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing it from Debian's packages", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def run(wrk: str, request: Request, load: Load) -> dict[str, float]:
    """One wrk run; its JSON line (requests, rps, p50_ms … max_ms, errors, non_2xx)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(lua_script(request) + REPORT)
        script.flush()
        cmd = [
            wrk,
            f"-t{load.threads}",
            f"-c{load.connections}",
            f"-d{load.seconds:g}s",
            f"--timeout={load.timeout_s:g}s",
            "-s",
            script.name,
        ]
        for header in request.headers:
            cmd += ["-H", header]
        done = subprocess.run([*cmd, request.url], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("{")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{done.stdout}{done.stderr}")
    return dict(json.loads(line))


def lua_script(request: Request) -> str:
    lines = [f"wrk.method = {_lua(request.method)}"]
    if request.bodies:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    choices = request.paths or request.bodies
    if choices:
        lines.append("local choices = {" + ",".join(_lua(c) for c in choices) + "}")
        lines.append("local threads = 0")
        lines.append('setup = function(t) threads = threads + 1; t:set("seed", threads) end')
        lines.append("init = function(args) math.randomseed(os.time() + seed) end")
        pick = "choices[math.random(#choices)]"
        call = f"wrk.format(nil, {pick})" if request.paths else f"wrk.format(nil, nil, nil, {pick})"
        lines.append(f"request = function() return {call} end")
    return "\n".join(lines) + "\n"


def _lua(text: str) -> str:
    """A Lua string literal (the inputs are ASCII paths, emails and JSON)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
