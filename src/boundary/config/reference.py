"""Configuration reference (shell side): `docs/configuration.md`, written from the settings model
itself by `boundary config docs`, so the document cannot name a key the service does not read
or miss one it does (a test regenerates it and compares)."""

from __future__ import annotations

import inspect
import re
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from boundary.config import core
from boundary.config.model import (
    DURATION_KEYS,
    SECRET_KEYS,
    SECTIONS,
    Settings,
    environment_defaults,
)

COMMAND = "boundary config docs > docs/configuration.md"
"""How the document is regenerated (quoted in the document and in the test's message)."""

_HEADER = f"""# Configuration reference

<!-- Generated from src/boundary/config/model.py by `{COMMAND}`; do not edit by hand. -->

Every key can be set in a TOML file of the configuration directory (`[section]` tables), by
the variable `BOUNDARY_<SECTION>__<KEY>` (for example `BOUNDARY_HTTP__PORT`), and for some
keys by a shorter variable listed beside it, which wins over the prefixed one. `ENV` (or
`--env`) selects the environment: `dev`, `test` or `prod`. Durations accept seconds or Go
syntax (`1m30s`). Secret values are never printed by `boundary config show`. Run
`boundary config show` to see the effective value of every key and where it came from.
"""


MEANINGS: dict[str, str] = {
    "settings.environment": "dev, test or prod; selects the environment's defaults and checks.",
    "settings.name": "The service's name, shown as the title of the API documentation.",
    "http.host": "Address the API listener binds.",
    "http.port": "Port of the API listener.",
    "http.workers": "Worker processes sharing both listeners (1: a single process).",
    "http.max_body_bytes": "Largest request body accepted; larger ones are answered 413.",
    "http.request_read_timeout": "Time allowed to read a request's head and body (else 408).",
    "http.max_header_bytes": "Largest request head accepted (else 431).",
    "http.keep_alive_timeout": "How long an idle keep-alive connection stays open.",
    "http.cors_origins": "Exact origins a browser page may call the API from (comma-separated); "
    "preflight answered, credentials never allowed; none by default.",
    "http.trusted_proxies": "Proxies (IPs or CIDR networks) whose X-Forwarded-For is believed.",
    "http.docs_enabled": "Serve /docs, /redoc and /openapi.json; unset: on except in prod.",
    "http.content_security_policy": "Content-Security-Policy of every response but the docs "
    "and console pages.",
    "http.strict_transport_security": "Strict-Transport-Security header value.",
    "http.x_xss_protection": "X-XSS-Protection header value.",
    "http.referrer_policy": "Referrer-Policy header value.",
    "ops.enabled": "Run the ops listener (health probes and /metrics).",
    "ops.host": "Address the ops listener binds.",
    "ops.port": "Port of the ops listener.",
    "ops.graceful_shutdown_wait_duration": "After SIGTERM, how long readiness reports 503 "
    "before the listeners stop accepting.",
    "ops.shutdown_timeout": "How long in-flight requests may finish during shutdown.",
    "ops.termination_grace_period": "The orchestrator's grace period; shutdown must fit in it.",
    "ops.health_check_interval": "How often the background health checks run.",
    "ops.health_check_timeout": "How long one health check may take before it counts as failed.",
    "ops.loop_stall_threshold": "An event-loop stall longer than this is logged.",
    "ops.liveness_stall_threshold": "A loop stalled this long makes liveness fail.",
    "database.url": "Database URL: sqlite:///path, postgresql://… or mysql://….",
    "database.pool_size": "Connections in the pool per process.",
    "database.pool_timeout_ms": "How long a request waits for a pooled connection (then 503).",
    "database.auto_migrate": "Apply pending migrations at start-up.",
    "database.migrations_dir": "Directory holding the SQL migration files.",
    "cache.enabled": (
        "Cache sessions, users and q-search totals in process (PostgreSQL with LISTEN/NOTIFY only)."
    ),
    "cache.ttl": "How long a cached entry is trusted.",
    "cache.max_entries": "Most entries each cache holds.",
    "security.jwt_secret": "Key signing access tokens (HS256); required in prod.",
    "security.jwt_previous_secrets": "Former signing keys still accepted while tokens expire.",
    "security.session_secret": "Key protecting console cookies and CSRF tokens; required in prod.",
    "security.access_token_ttl": "Lifetime of an access token.",
    "security.session_ttl": "Lifetime of a session (refresh token).",
    "security.lockout_threshold": "Failed logins in a row that lock an account.",
    "security.lockout_duration": "How long a locked account stays locked.",
    "security.password_hash_memory_kib": "argon2id memory cost in KiB.",
    "security.password_hash_time_cost": "argon2id time cost (iterations).",
    "security.password_min_score": "Least zxcvbn strength score (0-4) a new password needs.",
    "logging.level": "trace, debug, info, warn, error or fatal.",
    "logging.format": "console (readable) or json (one object per line).",
    "metrics.providers": "Metrics back-ends: prometheus, datadog-statsd, none.",
    "metrics.statsd_host": "DogStatsD agent host.",
    "metrics.statsd_port": "DogStatsD agent port.",
    "metrics.service": "Service name in metrics, logs and /health.",
    "metrics.environment": "Environment tag on metrics.",
    "metrics.datadog_api_key": "Datadog API key, if the agent needs one.",
    "rate_limit.enabled": "Apply the rate limits below.",
    "rate_limit.storage_url": "Where counters live: memory:// (per process) or redis://….",
    "rate_limit.public": "Requests per client IP on public routes.",
    "rate_limit.authenticated": "Requests per user on authenticated routes.",
    "rate_limit.login_failures": "Failed logins per client IP.",
    "rate_limit.mfa_failures": "Wrong MFA codes per user.",
    "rate_limit.strategy": "Counting strategy: moving-window or sliding-window-counter.",
    "rate_limit.storage_timeout": "How long a storage call may take before it counts as down.",
    "rate_limit.key_prefix": "Prefix of the counters' keys in the storage.",
    "rate_limit.public_failure_mode": "open or closed while the storage is unreachable.",
    "rate_limit.authenticated_failure_mode": "open or closed while the storage is unreachable.",
    "rate_limit.login_failure_mode": "open or closed while the storage is unreachable.",
    "rate_limit.mfa_failure_mode": "open or closed while the storage is unreachable.",
    "error_reporting.dsn": "Sentry DSN; error reporting is off while unset.",
    "error_reporting.environment": "Environment reported to Sentry.",
    "error_reporting.release": "Release reported to Sentry.",
    "error_reporting.traces_sample_rate": "Share of requests traced (0 to 1).",
    "web.enabled": "Serve the admin console under /admin.",
    "web.idle_timeout": "How long a console session may sit unused.",
    "web.console_csp": "Content-Security-Policy of the console pages.",
    "web.public_url": "The service's external base URL; links in mail point below it. "
    "Unset in dev and test: `http://localhost:` and `http.port`.",
    "security.reset_token_ttl": "How long a password-reset link stays usable.",
    "security.verify_token_ttl": "How long an email-verification link stays usable.",
    "security.require_verified_email": "Refuse logins (403) until the user's email is verified.",
    "mail.url": "SMTP server (smtp://…?starttls=true STARTTLS, smtps:// implicit TLS, smtp:// "
    "plain, log:// to the log); "
    "unset: no mail, and the endpoints that send it answer 503.",
    "mail.sender": "The From address of every mail (key `from` in files).",
    "mail.timeout": "Connecting to and talking with the SMTP server, per message.",
    "mail.ca_file": "PEM file of CA certificates the SMTP server's certificate must chain to, "
    "instead of the system's trust store (a private CA); unset: the system's store.",
    "mail.retry_initial": "Wait after a message's first failed attempt; doubles after each one.",
    "mail.retry_max": "The longest wait between two attempts.",
    "mail.retry_for": "How long a message is retried before it is given up.",
    "mail.retention": "How long sent and failed messages stay in mail_outbox (bodies erased).",
    "mail.poll_interval": "How often the sender looks for due messages.",
    "mail.lease": "How long a sender's claim on a message holds (a crashed sender's lapses).",
    "mail.batch_size": "Messages one sender claims and sends per round.",
}
"""What each key means, in a sentence; a key missing here fails `configuration_markdown`."""


def configuration_markdown() -> str:
    """The whole reference as Markdown."""
    guide = {key: name for name, key in core.GUIDE_VARIABLES.items()}
    per_env = {env: environment_defaults(env) for env in ("dev", "test", "prod")}
    parts = [_HEADER]
    top = {n: f for n, f in Settings.model_fields.items() if n not in SECTIONS}
    parts.append(_section("settings", "Top-level settings.", top, guide, per_env))
    for name, model in SECTIONS.items():
        parts.append(_section(name, _doc(model), model.model_fields, guide, per_env))
    return "\n".join(parts).rstrip() + "\n"


def _section(
    name: str,
    doc: str,
    fields: dict[str, FieldInfo],
    guide: dict[str, str],
    per_env: dict[str, dict[str, object]],
) -> str:
    rows = [
        f"## `{name}`",
        "",
        doc,
        "",
        "| Key | Variables | Type | Default | Meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for field, info in fields.items():
        key = f"{name}.{field}"
        if name == "settings":
            prefixed = f"`BOUNDARY_SETTINGS__{field.upper()}`"
            variables = "`ENV`" if field == "environment" else prefixed
        else:
            variables = f"`BOUNDARY_{name.upper()}__{field.upper()}`"
            if key in guide:
                variables = f"`{guide[key]}`, {variables}"
        rows.append(
            f"| `{key}` | {variables} | {_type(info)} | {_default(key, info, per_env)} "
            f"| {_cell(_meaning(key))} |"
        )
    return "\n".join(rows) + "\n"


def _meaning(key: str) -> str:
    if key not in MEANINGS:
        raise KeyError(f"{key}: add its meaning to boundary.config.reference.MEANINGS")
    return MEANINGS[key]


def _doc(model: type[BaseModel]) -> str:
    return " ".join((inspect.getdoc(model) or "").split()).replace("``", "`")


def _type(info: FieldInfo) -> str:
    text = re.sub(r"\b(?:typing|pydantic\.types|annotated_types)\.", "", str(info.annotation))
    text = text.replace("NoneType", "None").replace("<class '", "").replace("'>", "")
    return f"`{_cell(text)}`"


def _default(key: str, info: FieldInfo, per_env: dict[str, dict[str, object]]) -> str:
    if key in SECRET_KEYS:
        base = "none" if info.default is None else "(required in prod)"
    elif info.default is PydanticUndefined:
        base = "(required)"
    else:
        base = f"`{_shown(key, info.default)}`"
    overrides = [
        f"{env}: `{_shown(key, values[key])}`"
        for env, values in per_env.items()
        if key in values and key not in SECRET_KEYS
    ]
    if key in SECRET_KEYS and any(key in values for values in per_env.values()):
        overrides = ["dev/test: a built-in development value"]
    return _cell("; ".join([base, *overrides]))


def _shown(key: str, value: Any) -> str:
    if key in DURATION_KEYS and isinstance(value, int | float):
        return f"{value:g}s"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "[]"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
