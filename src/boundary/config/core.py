"""Configuration core (pure, stdlib only): names, layers, interpolation, value coercion.

The rules operators rely on — which variable sets which key, who wins, what
``${VAR:-default}`` means, what prod refuses — work on plain mappings, so they are testable
with literal dictionaries. The shell does the reading; ``model.py`` uses the coercion
helpers as validators.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from boundary.kernel.durations import format_duration

REDACTED = "********"
"""How `config show` and configuration errors print a secret or a URL's password."""
ENVIRONMENT_KEY = "settings.environment"
ENV_EXPECTED = "one of dev, test, prod (or development, testing, production)"
BOOL_EXPECTED = "expected a boolean (true/false, 1/0, yes/no, on/off)"
LIST_EXPECTED = "expected a JSON list or comma-separated values"
DEV_JWT_SECRET = "dev-only-jwt-secret-NOT-FOR-PRODUCTION-0000000000"  # noqa: S105 (refused in prod)
DEV_SESSION_SECRET = "dev-only-session-secret-NOT-FOR-PRODUCTION-000000"  # noqa: S105
DEV_SECRETS = frozenset({DEV_JWT_SECRET, DEV_SESSION_SECRET})
MIN_SECRET_BYTES = 32

KnownKeys = Mapping[str, Collection[str]]
"""Section name → its field names; ``settings`` holds the top-level fields."""

_ENV_ALIASES = {"development": "dev", "testing": "test", "production": "prod"} | {
    name: name for name in ("dev", "test", "prod")
}
GUIDE_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "PORT": "http.port",
        "OPS_PORT": "ops.port",
        "DATABASE_URL": "database.url",
        "DATABASE_POOL_SIZE": "database.pool_size",
        "DATABASE_POOL_TIMEOUT": "database.pool_timeout_ms",
        "JWT_SECRET": "security.jwt_secret",
        "JWT_PREVIOUS_SECRETS": "security.jwt_previous_secrets",
        "SESSION_SECRET": "security.session_secret",
        "GRACEFUL_SHUTDOWN_WAIT_DURATION": "ops.graceful_shutdown_wait_duration",
        "LOG_LEVEL": "logging.level",
        "LOG_FORMAT": "logging.format",
        "RATE_LIMIT_STORAGE_URL": "rate_limit.storage_url",
        "DATADOG_API_KEY": "metrics.datadog_api_key",
        "DATADOG_SERVICE": "metrics.service",
        "DATADOG_ENVIRONMENT": "metrics.environment",
        "DATADOG_STATSD_HOST": "metrics.statsd_host",
        "DATADOG_STATSD_PORT": "metrics.statsd_port",
        "SENTRY_DSN": "error_reporting.dsn",
        "SENTRY_ENVIRONMENT": "error_reporting.environment",
        "SENTRY_RELEASE": "error_reporting.release",
        "PUBLIC_URL": "web.public_url",
        "MAIL_URL": "mail.url",
        "CORS_ORIGINS": "http.cors_origins",
        "MAIL_FROM": "mail.from",
    }
)
"""The operations guide's variables (ENV aside, which selects the environment)."""

SINGLE_VALUED_FORMS: Mapping[str, str] = MappingProxyType({"metrics.provider": "metrics.providers"})
"""Keys that are a one-value spelling of a list key: ``provider = "x"`` is ``providers = ["x"]``.
Each layer (file, environment, CLI) is folded on its own, so a higher layer's single value
still overrides a lower layer's list, like any other key."""


class ConfigInputError(ValueError):
    """One bad configuration input; the message names it, the shell adds where it came from."""


@dataclass(frozen=True, slots=True)
class Sourced:
    """A raw value and its origin: ``env PORT``, ``file config/dev.toml``, ``cli --port``."""

    value: object
    source: str


@dataclass(frozen=True, slots=True)
class EnvLayer:
    """Values set by environment variables, and warnings about variables that lost to others."""

    values: Mapping[str, Sourced]
    warnings: tuple[str, ...]


def normalize_environment(value: object) -> str | None:
    """``dev``, ``test`` or ``prod`` for a name or alias in any case; ``None`` when unknown."""
    return _ENV_ALIASES.get(value.strip().lower()) if isinstance(value, str) else None


_REFERENCE = re.compile(r"\$\$\{|\$\{(?:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\})?")
_MALFORMED = "malformed reference: expected ${VAR} or ${VAR:-default} (write $${ for a literal ${)"


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with ``${VAR}`` and ``${VAR:-default}`` replaced and ``$${`` made ``${``.

    ``${VAR:-default}`` takes the default when VAR is unset or empty (as in POSIX shells);
    ``${VAR}`` must be set.
    """

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if match.group(0) == "$${":
            return "${"
        if name is None:
            raise ConfigInputError(_MALFORMED)
        if default is not None:
            return environ.get(name) or default
        if name not in environ:
            raise ConfigInputError(
                f"${{{name}}} is not set; set {name} or write ${{{name}:-default}}"
            )
        return environ[name]

    return _REFERENCE.sub(replace, text)


def interpolate_value(value: object, environ: Mapping[str, str]) -> object:
    """``value`` with strings, also inside lists, interpolated; other values unchanged."""
    if isinstance(value, str):
        return interpolate(value, environ)
    if isinstance(value, list):
        return [interpolate_value(item, environ) for item in value]
    return value


def interpolate_layer(flat: Mapping[str, object], environ: Mapping[str, str]) -> dict[str, object]:
    """Every value of ``flat`` interpolated; an error names the key."""
    result: dict[str, object] = {}
    for key, value in flat.items():
        try:
            result[key] = interpolate_value(value, environ)
        except ConfigInputError as exc:
            raise ConfigInputError(f"{key}: {exc}") from None
    return result


def flatten_sections(data: Mapping[str, object], known: KnownKeys) -> dict[str, object]:
    """``{"http": {"port": 1}}`` as ``{"http.port": 1}``; unknown sections or keys are errors."""
    flat: dict[str, object] = {}
    for section, table in data.items():
        if section not in known:
            raise ConfigInputError(
                f"{section}: unknown section (expected one of {', '.join(known)})"
            )
        if not isinstance(table, Mapping):
            raise ConfigInputError(f"{section}: expected a [{section}] table")
        flat.update((checked_key(section, str(field), known), v) for field, v in table.items())
    return flat


def checked_key(section: str, field: str, known: KnownKeys) -> str:
    """``section.field`` if it is a key a file or variable may set; ``ConfigInputError`` if not."""
    key = f"{section}.{field}"
    if key == ENVIRONMENT_KEY:
        raise ConfigInputError(f"{key}: is chosen by --env or ENV, not by configuration")
    if section not in known or field not in known[section]:
        expected = ", ".join(known[section]) if section in known else f"sections {', '.join(known)}"
        raise ConfigInputError(f"{key}: unknown key (expected one of {expected})")
    return key


def env_layer(environ: Mapping[str, str], known: KnownKeys) -> EnvLayer:
    """Keys set by the guide's variables and by ``BOUNDARY_<SECTION>__<KEY>``; guide wins."""
    prefixed = _prefixed_variables(environ, known)
    guide = {
        key: Sourced(environ[name], f"env {name}")
        for name, key in GUIDE_VARIABLES.items()
        if environ.get(name)  # an empty guide variable counts as unset
    }
    warnings = tuple(
        f"{prefixed[key].source} is ignored: {guide[key].source} also sets {key} and wins"
        for key in guide
        if key in prefixed
    )
    return EnvLayer({**prefixed, **guide}, warnings)


def _prefixed_variables(environ: Mapping[str, str], known: KnownKeys) -> dict[str, Sourced]:
    found: dict[str, Sourced] = {}
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("BOUNDARY_") or "__" not in upper:
            continue  # BOUNDARY_CONFIG_DIR, BOUNDARY_TEST_… are not configuration keys
        key = _prefixed_key(name, known)
        if key in found:
            raise ConfigInputError(f"{name}: {found[key].source[4:]} also sets {key}")
        found[key] = Sourced(environ[name], f"env {name}")
    return found


def _prefixed_key(name: str, known: KnownKeys) -> str:
    section, _, field = name[len("BOUNDARY_") :].lower().partition("__")
    try:
        return checked_key(section, field, known)
    except ConfigInputError as exc:
        raise ConfigInputError(f"{name}: names no configuration key ({exc})") from None


def fold_single_valued(layer: Mapping[str, Sourced]) -> dict[str, Sourced]:
    """The layer with each single-valued key replaced by its list key (same source); a blank
    single value counts as unset. A layer giving both keys, with different values, is an error
    naming both."""
    folded = dict(layer)
    for single, plural in SINGLE_VALUED_FORMS.items():
        one = folded.pop(single, None)
        if one is None or blank_to_none(one.value) is None:
            continue
        many = folded.get(plural)
        if many is not None and _names(many.value) != [lowercase(one.value)]:
            origin = one.source if one.source == many.source else f"{one.source}, {many.source}"
            raise ConfigInputError(
                f"{single} = {one.value!r} and {plural} = {many.value!r} disagree "
                f"(from {origin}); set only one of them"
            )
        folded[plural] = Sourced([one.value], one.source)
    return folded


def _names(value: object) -> object:
    try:
        return lowercase(split_list(value))
    except ValueError:
        return value


def merge(*layers: Mapping[str, Sourced]) -> dict[str, Sourced]:
    """The layers combined, later layers winning key by key."""
    merged: dict[str, Sourced] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def parse_bool(value: object) -> bool:
    """``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off`` in any case."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError(BOOL_EXPECTED)


def split_list(value: object) -> object:
    """A string as a list (JSON list or comma-separated, blanks dropped); others unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text.startswith("["):
        return [item.strip() for item in text.split(",") if item.strip()]
    try:
        return json.loads(text)  # starts with "[", so a list or an error
    except ValueError:
        raise ValueError(LIST_EXPECTED) from None


def lowercase(value: object) -> object:
    """Strings (also inside a list) stripped and lowercased, so names match in any case."""
    if isinstance(value, list):
        return [lowercase(item) for item in value]
    return value.strip().lower() if isinstance(value, str) else value


def normalize_level(value: object) -> object:
    """A log level in lowercase, with Python's ``warning`` spelled ``warn``."""
    lowered = lowercase(value)
    return "warn" if lowered == "warning" else lowered


def blank_to_none(value: object) -> object:
    """``None`` for an empty string, so ``SENTRY_DSN=`` means off."""
    return None if isinstance(value, str) and not value.strip() else value


_PROD_SECRETS = {"JWT_SECRET": "security.jwt_secret", "SESSION_SECRET": "security.session_secret"}
_SECRET_HINT = f"use {MIN_SECRET_BYTES}+ random bytes (`boundary secret` prints one)"


def prod_refusals(values: Mapping[str, Sourced]) -> list[str]:
    """Why prod must not start with these layered values (secrets are never quoted)."""
    refusals = [_secret_refusal(key, name, values.get(key)) for name, key in _PROD_SECRETS.items()]
    if "database.url" not in values:
        refusals.append(
            "DATABASE_URL is not set: prod has no default database.url; "
            "set DATABASE_URL (e.g. postgresql://user:pass@host:5432/boundary)"
        )
    return [refusal for refusal in refusals if refusal]


def _secret_refusal(key: str, name: str, given: Sourced | None) -> str:
    """Why this secret is unacceptable in prod, or ``""`` when it is acceptable."""
    if given is None or given.source == "default":
        return f"{name} is not set: prod refuses the dev-only {key}; {_SECRET_HINT}"
    origin = f"{name} ({key}, from {given.source})"
    if not isinstance(given.value, str):
        return ""  # the model reports the wrong type
    if given.value in DEV_SECRETS:
        return f"{origin} equals a dev-only default; {_SECRET_HINT}"
    if len(given.value.encode()) < MIN_SECRET_BYTES:
        return f"{origin} is shorter than {MIN_SECRET_BYTES} bytes; {_SECRET_HINT}"
    return ""


def shutdown_warning(wait: float, timeout: float, grace: float) -> str | None:
    """A warning when draining can outlast the orchestrator's termination grace period."""
    if wait + timeout <= grace:
        return None
    return (
        f"ops.graceful_shutdown_wait_duration ({format_duration(wait)}) + ops.shutdown_timeout "
        f"({format_duration(timeout)}) = {format_duration(wait + timeout)} exceeds "
        f"ops.termination_grace_period ({format_duration(grace)}): the process may be killed "
        "before it drains"
    )
