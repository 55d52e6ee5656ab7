"""Configuration shell: reads the environment's TOML file and the process environment.

It gathers raw values with their sources (file, environment variables, CLI flags), lets the
core decide what they mean and the model check their types, and turns every problem into a
one-line ``ConfigError`` that names the key, where the value came from and what was expected
— without quoting secrets and without letting pydantic's messages (which echo input) through.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from boundary.config import core, model
from boundary.config.core import ConfigInputError, Sourced
from boundary.config.model import Settings
from boundary.kernel.durations import format_duration
from boundary.kernel.redaction import redact_url

UNSET = "(unset)"
_FLAGS = {"http.host": "--host", "http.port": "--port", "ops.port": "--ops-port"} | {
    "http.workers": "--workers"
}
_EXPECTED = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "a boolean",
    "bool_type": "a boolean",
    "string_type": "a string",
    "list_type": "a list (JSON list or comma-separated)",
    "missing": "a value (none is set)",
}
_BOUNDS = {
    "greater_than_equal": ">=",
    "greater_than": ">",
    "less_than_equal": "<=",
    "less_than": "<",
}
_BOUND_CTX = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le"} | {
    "less_than": "lt"
}


class ConfigError(Exception):
    """A configuration problem, as one line naming the key, the value's source and what was
    expected; never a secret's value. The CLI prints it and exits 2."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None) -> None:
        super().__init__(" ".join(message.splitlines()))
        self.key = key
        self.source = source


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """Validated settings, where each key's value came from, and what deserves a warning."""

    settings: Settings
    sources: Mapping[str, str]
    warnings: tuple[str, ...]
    config_dir: Path


def load_config(
    *,
    env: str | None = None,
    config_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> LoadedConfig:
    """Settings for the selected environment: CLI overrides > environment > file > defaults.

    ``overrides`` are CLI flag values keyed ``http.port`` etc.; ``None`` values are skipped.
    """
    environ = os.environ if environ is None else environ
    environment, env_source = _select_environment(env, environ)
    directory, explicit = _select_directory(config_dir, environ)
    known = model.known_keys()
    path = directory / f"{environment}.toml"
    file_values, file_warnings = _file_layer(path, explicit, environ, known)
    env_values = _env_layer(environ, known)
    layers = (file_values, env_values.values, _override_layer(overrides or {}, known))
    merged = core.merge(*(_folded(layer) for layer in layers))
    if environment == "prod":
        _refuse_unsafe_prod(merged)
    settings = _validate(environment, merged)
    warnings = (
        *file_warnings,
        *env_values.warnings,
        *_shutdown_warnings(settings),
        *_mail_warnings(settings, public_url_set="web.public_url" in merged),
    )
    sources = MappingProxyType(_sources(known, merged, env_source))
    return LoadedConfig(settings, sources, warnings, directory)


def _select_environment(flag: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The environment and its source: ``--env``, else ``ENV``, else dev."""
    raw, source = (flag, "cli --env") if flag else (environ.get("ENV"), "env ENV")
    if not raw:
        return "dev", "default"
    environment = core.normalize_environment(raw)
    if environment is None:
        message = f"expected {core.ENV_EXPECTED}, got {raw!r} (from {source})"
        raise ConfigError(f"{core.ENVIRONMENT_KEY}: {message}", key=core.ENVIRONMENT_KEY)
    return environment, source


def _select_directory(flag: str | Path | None, environ: Mapping[str, str]) -> tuple[Path, str]:
    """The config directory and who chose it (``""`` when nobody did: then ``config``)."""
    if flag:
        return Path(flag), "cli --config-dir"
    if environ.get("BOUNDARY_CONFIG_DIR"):
        return Path(environ["BOUNDARY_CONFIG_DIR"]), "env BOUNDARY_CONFIG_DIR"
    return Path("config"), ""


def _file_layer(
    path: Path, explicit: str, environ: Mapping[str, str], known: core.KnownKeys
) -> tuple[dict[str, Sourced], tuple[str, ...]]:
    """The file's values; a missing file is an error only in a directory someone chose."""
    if not path.is_file():
        if explicit:
            raise ConfigError(f"config file {path} not found (config directory from {explicit})")
        return {}, (f"config file {path} not found; using defaults and environment variables",)
    source = f"file {path}"
    try:
        flat = core.flatten_sections(_read_toml(path, source), known)
        values = core.interpolate_layer(flat, environ)
    except ConfigInputError as exc:
        raise ConfigError(f"{exc} (in {source})", source=source) from None
    return {key: Sourced(value, source) for key, value in values.items()}, ()


def _read_toml(path: Path, source: str) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}", source=source) from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot be read: {exc.strerror}", source=source) from None


def _env_layer(environ: Mapping[str, str], known: core.KnownKeys) -> core.EnvLayer:
    try:
        return core.env_layer(environ, known)
    except ConfigInputError as exc:
        raise ConfigError(str(exc)) from None


def _folded(layer: Mapping[str, Sourced]) -> dict[str, Sourced]:
    try:
        return core.fold_single_valued(layer)
    except ConfigInputError as exc:
        raise ConfigError(str(exc)) from None


def _override_layer(overrides: Mapping[str, object], known: core.KnownKeys) -> dict[str, Sourced]:
    """CLI flag values as the highest layer, sourced ``cli --port`` and the like."""
    layer: dict[str, Sourced] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, field = key.partition(".")
        try:
            core.checked_key(section, field, known)
        except ConfigInputError as exc:
            raise ConfigError(f"{exc} (from cli)", source="cli") from None
        layer[key] = Sourced(value, f"cli {_FLAGS.get(key, '--' + key)}")
    return layer


def _refuse_unsafe_prod(merged: Mapping[str, Sourced]) -> None:
    refusals = core.prod_refusals(merged)
    if refusals:
        raise ConfigError("; ".join(refusals))


def _validate(environment: str, merged: Mapping[str, Sourced]) -> Settings:
    data = model.model_input({key: given.value for key, given in merged.items()})
    try:
        return Settings.model_validate({**data, "environment": environment})
    except ValidationError as exc:
        raise _config_error(exc, merged) from None  # pydantic's text would echo the input


def _config_error(exc: ValidationError, merged: Mapping[str, Sourced]) -> ConfigError:
    """One line with a clause per bad key (first problem for each)."""
    clauses: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        key = _key_of(error["loc"])
        clauses.setdefault(key, _clause(key, error, merged.get(key)))
    first = next(iter(clauses))
    source = merged[first].source if first in merged else "default"
    return ConfigError("; ".join(clauses.values()), key=first, source=source)


def _key_of(loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] in model.SECTIONS:
        return f"{loc[0]}.{loc[1]}"
    return f"settings.{loc[0]}" if loc else "settings"


def _clause(key: str, error: Any, given: Sourced | None) -> str:
    """``key: expected …, got … (from …)``; the value is left out for secrets."""
    secret = key in model.SECRET_KEYS
    got = "" if given is None or secret else f", got {_quoted(given.value)}"
    source = given.source if given else "default"
    return f"{key}: {_expected(error, secret)}{got} (from {source})"


def _expected(error: Any, secret: bool) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "value_error":
        return str(ctx.get("error", "expected a valid value"))  # our validators say "expected …"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}"
    if kind in _BOUNDS:
        return f"expected a number {_BOUNDS[kind]} {ctx.get(_BOUND_CTX[kind])}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    return "expected a valid value" if secret else f"expected a valid value ({error['msg']})"


def _quoted(value: object) -> str:
    text = repr(redact_url(value, core.REDACTED) if isinstance(value, str) else value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _shutdown_warnings(settings: Settings) -> tuple[str, ...]:
    ops = settings.ops
    warning = core.shutdown_warning(
        ops.graceful_shutdown_wait_duration, ops.shutdown_timeout, ops.termination_grace_period
    )
    return (warning,) if warning else ()


def _mail_warnings(settings: Settings, *, public_url_set: bool) -> tuple[str, ...]:
    mail, warnings = settings.mail, []
    if mail.ca_file is not None and not (
        os.path.isfile(mail.ca_file) and os.access(mail.ca_file, os.R_OK)
    ):
        warnings.append(
            f"mail.ca_file {mail.ca_file!r} is not a readable file: no mail can be delivered"
        )
    if settings.environment == "prod" and mail.url is None:
        warnings.append(
            "mail.url (MAIL_URL) is not set: password reset and email verification answer 503 "
            "until it names an SMTP server (smtp://… or smtps://…)"
        )
    if settings.environment == "prod" and mail.url is not None and not public_url_set:
        warnings.append(
            f"web.public_url (PUBLIC_URL) is not set: links in mail point to "
            f"{settings.web.public_url}, not to where users reach the service"
        )
    return tuple(warnings)


def _sources(known: core.KnownKeys, merged: Mapping[str, Sourced], env: str) -> dict[str, str]:
    """Every key's source, in model order: the layer that set it, else ``default``."""
    keys = [f"{section}.{field}" for section, fields in known.items() for field in fields]
    sources = {key: merged[key].source if key in merged else "default" for key in keys}
    aliases = {single: sources[plural] for single, plural in core.SINGLE_VALUED_FORMS.items()}
    return sources | aliases | {core.ENVIRONMENT_KEY: env}


def show_lines(loaded: LoadedConfig) -> list[str]:
    """``config show``: aligned ``key  value  source`` lines, secrets and passwords redacted."""
    rows = [
        (key, _display(key, _value_at(loaded.settings, key)), source)
        for key, source in loaded.sources.items()
    ]
    key_width = max(len(key) for key, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    return [f"{k:<{key_width}}  {v:<{value_width}}  {s}" for k, v, s in rows]


def _value_at(settings: Settings, key: str) -> object:
    section, field = key.split(".")
    holder = settings if section == "settings" else getattr(settings, section)
    return getattr(holder, model.attribute_of(section, field))


def _display(key: str, value: object) -> str:
    """How ``config show`` prints a value: durations Go-style, lists as JSON, secrets masked."""
    if key in model.SECRET_KEYS and value is not None:
        return (
            json.dumps([core.REDACTED] * len(value)) if isinstance(value, list) else core.REDACTED
        )
    if key in model.DURATION_KEYS and isinstance(value, float):
        return format_duration(value)
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return json.dumps(value)
    return redact_url(str(value), core.REDACTED) if value != "" else '""'
