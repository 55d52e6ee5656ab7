"""The Dockerfile (issue #7 item 1, CONTRACT §11): linted, checked, and its wheel really runs.

No Docker engine here, so `docker build` cannot run. Instead: hadolint lints the file; its
instructions are checked (multi-stage, non-root `boundary`, ports, HEALTHCHECK, STOPSIGNAL, CMD);
.dockerignore is checked against what the build copies; and the build stage is reproduced in a
temporary directory — only the files the Dockerfile COPYs, a wheel built from them, installed
with constraints.txt into a fresh virtualenv next to config/ and migrations/ as in the runtime
stage — then `boundary version`, `boundary migrate migrate`, `boundary serve` and the image's
HEALTHCHECK command (`boundary health`, no --url) run from that virtualenv.
"""

from __future__ import annotations

import fnmatch
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ops.dockerfile import Stage, parse
from tests.ops.tools import tool
from tests.support.process import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE)[1]


def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_hadolint_passes() -> None:
    hadolint = tool("hadolint")
    proc = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_multi_stage_build_then_slim_runtime(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    build, final = stages[0], stages[-1]
    assert build.name, "the build stage is named so the runtime can COPY --from it"
    run_text = " ".join(i.args for i in build.all("RUN"))
    assert "pip wheel" in run_text
    assert "constraints.txt" in run_text
    copies_from_build = [c for c in final.all("COPY") if f"--from={build.name}" in c.args]
    assert copies_from_build, "the runtime receives the built virtualenv from the build stage"
    preamble = parse(DOCKERFILE)[0]
    args = {
        i.args.split("=", 1)[0]: i.args.split("=", 1)[1] for i in preamble if i.keyword == "ARG"
    }
    base = final.base
    for name, value in args.items():
        base = base.replace("${" + name + "}", value)
    assert "slim" in base, f"runtime base image {base} is not a slim Python image"


def test_runs_as_non_root_user_boundary(stages: list[Stage]) -> None:
    final = runtime(stages)
    run_text = " ".join(i.args for i in final.all("RUN"))
    created = re.search(r"useradd\b[^&;]*--uid\s+(\d+)[^&;]*\sboundary\b", run_text)
    assert created, "the runtime stage creates the user `boundary` with a fixed uid"
    user = final.last("USER")
    assert user is not None
    name = user.args.split(":")[0]
    assert name in {"boundary", created.group(1)}, user.args
    assert name not in {"root", "0"}
    # USER comes after everything that needs root.
    position = final.instructions.index(user)
    assert all(i.keyword not in {"RUN"} for i in final.instructions[position + 1 :])


def test_ports_healthcheck_stopsignal_cmd(stages: list[Stage]) -> None:
    final = runtime(stages)
    exposed = {p.split("/")[0] for i in final.all("EXPOSE") for p in i.args.split()}
    assert exposed == {"3000", "9203"}
    healthcheck = final.last("HEALTHCHECK")
    assert healthcheck is not None
    _, _, command = healthcheck.args.partition("CMD")
    assert command.strip().startswith("["), "exec form: no shell needed in the image"
    words = healthcheck.__class__("CMD", command).exec_form()
    assert words[:2] == ["boundary", "health"], words
    stop = final.last("STOPSIGNAL")
    assert stop is not None
    assert stop.args == "SIGTERM"
    cmd = final.last("CMD")
    assert cmd is not None
    assert cmd.args.startswith("[")
    assert cmd.exec_form() == ["boundary", "serve"]
    assert final.last("ENTRYPOINT") is None, "PID 1 is `boundary serve` itself (gets SIGTERM)"


def test_runtime_has_config_and_migrations_in_workdir(stages: list[Stage]) -> None:
    final = runtime(stages)
    copied = [i.exec_form() for i in final.all("COPY") if "--from" not in i.args]
    sources = {words[0] for words in copied}
    assert {"config", "migrations"} <= sources, copied
    workdir = final.last("WORKDIR")
    assert workdir is not None
    env = " ".join(i.args for i in final.all("ENV"))
    assert "ENV=prod" in env


def _context_sources(stages: list[Stage]) -> list[str]:
    """Every path the build copies from the build context."""
    paths: list[str] = []
    for stage in stages:
        for copy in stage.all("COPY") + stage.all("ADD"):
            if "--from" in copy.args:
                continue
            words = [w for w in copy.exec_form() if not w.startswith("--")]
            paths += words[:-1]
    return paths


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!")
        parts = path.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        # Docker's `**/` matches any number of directories, zero included.
        variants = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatch(p, v) for p in prefixes for v in variants):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_what_the_build_copies_and_drops_the_rest(stages: list[Stage]) -> None:
    patterns = [
        ln.strip()
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.strip().startswith("#")
    ]
    sources = _context_sources(stages)
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source, patterns), f"COPY {source} is excluded by .dockerignore"
    for junk in (
        ".git",
        ".venv",
        "var",
        "tests",
        "src/boundary/__pycache__",
        "src/x.egg-info",
        ".env",
    ):
        assert _ignored(junk, patterns), f"{junk} would be sent to the Docker daemon"


def _run(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.e2e
def test_image_build_steps_produce_a_working_boundary(tmp_path: Path, stages: list[Stage]) -> None:
    """The Dockerfile's steps without Docker: context → wheel → venv → serve + HEALTHCHECK."""
    context = tmp_path / "context"
    context.mkdir()
    for source in _context_sources(stages[:1]):  # what the build stage copies
        src = ROOT / source
        if src.is_dir():
            shutil.copytree(src, context / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, context / source)
    wheels = tmp_path / "wheels"
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), "."],
        cwd=context,
        env=pip_env,
        timeout=120,
    )
    [wheel] = list(wheels.glob("boundary-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=60)
    _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--constraint",
            str(ROOT / "constraints.txt"),
            str(wheel),
        ],
        env=pip_env,
        timeout=240,
    )
    boundary = str(venv / "bin" / "boundary")
    # The runtime stage: WORKDIR with config/ and migrations/ only (no source tree).
    app = tmp_path / "app"
    app.mkdir()
    for source in ("config", "migrations"):
        shutil.copytree(ROOT / source, app / source)
    (app / "var").mkdir()
    api_port, ops_port = free_port(), free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ENV": "prod",
        "PYTHONUNBUFFERED": "1",
        "PORT": str(api_port),
        "OPS_PORT": str(ops_port),
        "BOUNDARY_HTTP__HOST": "127.0.0.1",
        "BOUNDARY_OPS__HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{app / 'var' / 'boundary.db'}",
        "JWT_SECRET": secrets.token_hex(32),
        "SESSION_SECRET": secrets.token_hex(32),
    }
    version = _run([boundary, "version"], cwd=app, env=env, timeout=60)
    assert version.stdout.strip() == "1.0.0"
    _run([boundary, "config", "check"], cwd=app, env=env, timeout=60)
    _run([boundary, "migrate", "migrate"], cwd=app, env=env, timeout=60)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [boundary, "serve"], cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        ready = False
        while time.monotonic() < deadline and proc.poll() is None:
            # Exactly the image's HEALTHCHECK command: default URL from OPS_PORT.
            probe = subprocess.run(
                [boundary, "health", "--timeout", "1"],
                cwd=app,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
            if probe.returncode == 0:
                ready = True
                break
            time.sleep(0.2)
        assert ready, (tmp_path / "serve.log").read_text()
        assert f"127.0.0.1:{ops_port}/health/ready" in probe.stdout
        _run(
            [boundary, "health", "--url", f"http://127.0.0.1:{api_port}/health/live"],
            cwd=app,
            env=env,
            timeout=30,
        )
        proc.send_signal(signal.SIGTERM)  # what `docker stop` sends (STOPSIGNAL)
        assert proc.wait(30) == 0, (tmp_path / "serve.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert '"level": "info"' in output or '"level":"info"' in output, "prod logs are JSON"
