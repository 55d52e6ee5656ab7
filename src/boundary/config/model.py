"""Configuration model (shell side): the typed, frozen settings every component receives.

Pydantic validates and coerces; the coercion rules themselves (lists from env strings,
booleans, level names, durations) are pure helpers in ``core`` and ``kernel.durations`` so the
same spelling is accepted wherever a value comes from. Defaults that differ per environment are
filled in by ``Settings`` itself, so ``Settings(environment="test", …)`` is complete on its own.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)
from pydantic.fields import FieldInfo

from boundary.config import core
from boundary.kernel import durations


def _duration(value: object) -> float:
    """Seconds from Go syntax or a bare number; the message never repeats the input."""
    if isinstance(value, str | int | float):
        try:
            return durations.parse_duration(value)
        except ValueError:
            pass
    raise ValueError(durations.EXPECTED)


_ORIGIN = re.compile(r"https?://[^/\s?#]+")


def _check_origins(values: list[str]) -> list[str]:
    """Each an exact origin: scheme and host (and port), no path, no wildcard."""
    for value in values:
        if not _ORIGIN.fullmatch(value):
            raise ValueError(f"{value!r} is not an origin like https://app.example.com")
    return values


def _check_networks(values: list[str]) -> list[str]:
    """``values`` if each is an IP address or a CIDR network."""
    for value in values:
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ValueError(f"expected IP addresses or CIDR networks ({value!r} is not)") from None
    return values


_RATE = re.compile(r"\d+\s*(?:/|\s+per\s+)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?")
_DATABASE_URL = re.compile(r"(?:sqlite|postgresql|postgres|mysql)(?:\+\w+)?://.+", re.DOTALL)


def _check_rate(value: str) -> str:
    """``value`` if the rate limiter can read it (``100/minute``, ``5/15minutes``)."""
    if not _RATE.fullmatch(value.strip()):
        raise ValueError("expected a rate like 100/minute or 5/15minutes")
    return value


def _check_database_url(value: str) -> str:
    """``value`` if its scheme selects a supported database, so a typo fails at start-up."""
    if not _DATABASE_URL.fullmatch(value.strip()):
        raise ValueError("expected a sqlite:///path, postgresql://… or mysql://… URL")
    return value


def _optional_bool(value: object) -> bool | None:
    """``None`` (automatic) for a missing or blank value, else a boolean."""
    return None if core.blank_to_none(value) is None else core.parse_bool(value)


def _names(value: object) -> object:
    """A list of lowercase names from a list, a single name or a comma-separated string."""
    return core.lowercase(core.split_list(value))


Duration = Annotated[float, BeforeValidator(_duration)]
Flag = Annotated[bool, BeforeValidator(core.parse_bool)]
Port = Annotated[int, Field(ge=1, le=65535)]
Rate = Annotated[str, AfterValidator(_check_rate)]
OptionalText = Annotated[str | None, BeforeValidator(core.blank_to_none)]
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(core.blank_to_none)]
Level = Literal["trace", "debug", "info", "warn", "error", "fatal"]
Provider = Literal["none", "datadog-statsd", "prometheus"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpSettings(_Section):
    """The API listener and the headers it adds to every response."""

    host: str = "0.0.0.0"
    port: Port = 3000
    workers: Annotated[int, Field(ge=1)] = 1
    max_body_bytes: Annotated[int, Field(gt=0)] = 1_048_576
    # Slow or oversized requests (the listener answers 408 / 431 and closes the connection).
    request_read_timeout: Annotated[Duration, Field(gt=0)] = 10.0
    max_header_bytes: Annotated[int, Field(ge=1024)] = 16_384
    keep_alive_timeout: Annotated[Duration, Field(gt=0)] = 5.0
    trusted_proxies: Annotated[
        list[str], BeforeValidator(core.split_list), AfterValidator(_check_networks)
    ] = []
    cors_origins: Annotated[
        list[str], BeforeValidator(core.split_list), AfterValidator(_check_origins)
    ] = []
    """Exact origins (scheme://host[:port]) a browser page may call the API from; none: no
    cross-origin access. Credentials (cookies) are never allowed cross-origin."""
    docs_enabled: Annotated[bool | None, BeforeValidator(_optional_bool)] = None
    content_security_policy: str = "default-src 'none'; frame-ancestors 'none'"
    strict_transport_security: str = "max-age=31536000; includeSubDomains"
    x_xss_protection: str = "1; mode=block"
    referrer_policy: str = "no-referrer"


class OpsSettings(_Section):
    """The ops listener (health, metrics) and the shutdown timeline, in seconds."""

    enabled: Flag = True
    host: str = "0.0.0.0"
    port: Port = 9203
    graceful_shutdown_wait_duration: Duration = 0.0
    shutdown_timeout: Duration = 30.0
    termination_grace_period: Duration = 60.0
    health_check_interval: Duration = 1.0
    health_check_timeout: Duration = 2.0
    loop_stall_threshold: Duration = 2.0
    liveness_stall_threshold: Duration = 30.0


class DatabaseSettings(_Section):
    """Where the data lives; ``url`` has no default in prod (see ``Settings``)."""

    url: Annotated[str, AfterValidator(_check_database_url)]
    pool_size: Annotated[int, Field(ge=1)] = 10
    pool_timeout_ms: Annotated[int, Field(ge=1)] = 30_000
    auto_migrate: Flag = False
    migrations_dir: str = "migrations"


class CacheSettings(_Section):
    """The in-process caches of sessions and users behind authentication, and of the user
    listing's q-search totals. They are used only on PostgreSQL, while the LISTEN/NOTIFY change
    channel is live; elsewhere they stay off."""

    enabled: Flag = True
    ttl: Annotated[Duration, Field(gt=0)] = 60.0
    max_entries: Annotated[int, Field(ge=1)] = 100_000


class SecuritySettings(_Section):
    """Signing secrets (dev/test defaults only) and token/session/lockout timing."""

    jwt_secret: SecretStr
    jwt_previous_secrets: Annotated[list[SecretStr], BeforeValidator(core.split_list)] = []
    session_secret: SecretStr
    access_token_ttl: Duration = 15 * 60.0
    session_ttl: Duration = 168 * 3600.0
    lockout_threshold: Annotated[int, Field(ge=1)] = 10
    lockout_duration: Duration = 15 * 60.0
    # argon2id cost; OWASP's minimum is m=19 MiB, t=2, p=1. Raising it rehashes at next login.
    password_hash_memory_kib: Annotated[int, Field(ge=19456)] = 19456
    password_hash_time_cost: Annotated[int, Field(ge=2)] = 2
    # zxcvbn's 0-4 scale: 3 is "safely unguessable" (about 10^8 guesses or more), 4 very strong.
    password_min_score: Annotated[int, Field(ge=0, le=4)] = 3
    # Account recovery: how long a mailed link works, and whether login needs a verified email.
    reset_token_ttl: Annotated[Duration, Field(gt=0)] = 30 * 60.0
    verify_token_ttl: Annotated[Duration, Field(gt=0)] = 24 * 3600.0
    require_verified_email: Flag = False


class LoggingSettings(_Section):
    """Level (stored lowercase, ``warning`` read as ``warn``) and line format."""

    level: Annotated[Level, BeforeValidator(core.normalize_level)] = "info"
    format: Annotated[Literal["console", "json"], BeforeValidator(core.lowercase)] = "console"


class MetricsSettings(_Section):
    """Metric back-ends; DogStatsD fields follow the guide's DATADOG_* variables.

    Files and variables may also say ``provider = "datadog-statsd"``: the configuration layer
    reads that single-valued key as ``providers = ["datadog-statsd"]``
    (``core.SINGLE_VALUED_FORMS``).
    """

    providers: Annotated[list[Provider], BeforeValidator(_names)] = ["prometheus"]
    statsd_host: str = "localhost"
    statsd_port: Port = 8125
    service: str = "boundary-api"
    environment: OptionalText = None
    datadog_api_key: OptionalSecret = None

    @property
    def provider(self) -> str | None:
        """The one back-end when there is exactly one (what ``metrics.provider`` shows)."""
        return self.providers[0] if len(self.providers) == 1 else None


def _check_storage_url(value: str) -> str:
    """``value`` if the rate limiter has a storage for its scheme."""
    if not _STORAGE_URL.fullmatch(value.strip()):
        raise ValueError("expected memory:// or a redis://… / rediss://… URL")
    return value


_STORAGE_URL = re.compile(r"memory://|rediss?://.+", re.DOTALL)
FailureMode = Literal["open", "closed"]


class RateLimitSettings(_Section):
    """Limits per client IP (public, login failures) and per user (authenticated).

    A ``*_failure_mode`` says what a limit does while the shared storage is unreachable: both
    fall back to per-process counters; ``open`` starts them from zero at the outage, ``closed``
    keeps them in step all along, so what this process already counted still holds (an IP
    blocked before the outage stays blocked through it).
    """

    enabled: Flag = True
    storage_url: Annotated[str, AfterValidator(_check_storage_url)] = "memory://"
    public: Rate = "100/minute"
    authenticated: Rate = "1000/minute"
    login_failures: Rate = "5/15minutes"
    mfa_failures: Rate = "5/15minutes"
    """Wrong MFA codes per user on /auth/mfa/enable and /disable, counted even while rate
    limiting is disabled (then in this process only)."""
    strategy: Literal["moving-window", "sliding-window-counter"] = "sliding-window-counter"
    storage_timeout: Annotated[Duration, Field(gt=0)] = 0.1
    key_prefix: str = "boundary"
    public_failure_mode: FailureMode = "open"
    authenticated_failure_mode: FailureMode = "open"
    login_failure_mode: FailureMode = "closed"
    mfa_failure_mode: FailureMode = "closed"


class ErrorReportingSettings(_Section):
    """Sentry; off while ``dsn`` is unset."""

    dsn: OptionalSecret = None
    environment: OptionalText = None
    release: str = "unknown"
    traces_sample_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0


_PUBLIC_URL = re.compile(r"https?://[^/?#\s]+(?:/[^?#\s]*)?")
_MAIL_URL = re.compile(r"(?:smtps?://[^/?#\s]+/?(?:\?\S*)?|log://\S*)")


def _check_public_url(value: str) -> str:
    """``value`` without a trailing slash, if it is an absolute http(s) URL."""
    if not _PUBLIC_URL.fullmatch(value.strip()):
        raise ValueError("expected an absolute http:// or https:// URL")
    return value.strip().rstrip("/")


def _check_mail_url(value: str | None) -> str | None:
    """``value`` if its scheme names a mail transport (checked at start-up, not first use)."""
    if value is not None and not _MAIL_URL.fullmatch(value.strip()):
        raise ValueError("expected smtp://[user:pass@]host[:port], smtps://… or log://")
    return value


class MailSettings(_Section):
    """Outgoing mail (password reset, email verification). ``url`` unset: no mail, and the
    endpoints that send it answer 503; ``from`` is the key (``sender`` in code)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    url: Annotated[
        str | None, BeforeValidator(core.blank_to_none), AfterValidator(_check_mail_url)
    ] = None
    sender: Annotated[str, Field(alias="from", min_length=3)] = "Boundary <no-reply@localhost>"
    timeout: Annotated[Duration, Field(gt=0)] = 10.0
    """Connecting to and talking with the SMTP server, per message."""
    ca_file: OptionalText = None
    """A PEM file of CA certificates that the SMTP server's certificate must chain to, instead
    of the system's trust store (a private CA); unset: the system's store."""
    retry_initial: Annotated[Duration, Field(gt=0)] = 30.0
    """The wait after a message's first failed attempt; it doubles after each further one…"""
    retry_max: Annotated[Duration, Field(gt=0)] = 3600.0
    """…up to this."""
    retry_for: Annotated[Duration, Field(gt=0)] = 24 * 3600.0
    """How long a message is retried before it is given up."""
    retention: Annotated[Duration, Field(gt=0)] = 7 * 24 * 3600.0
    """How long sent and failed messages stay in ``mail_outbox`` (bodies erased) for audit."""
    poll_interval: Annotated[Duration, Field(gt=0)] = 2.0
    lease: Annotated[Duration, Field(gt=0)] = 60.0
    """How long a sender's claim on a message holds; a crashed sender's claim lapses after it."""
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 20


class WebSettings(_Section):
    """The service as browsers see it: the admin console under ``/admin`` on the API listener
    (off: 404 there) and how long a console session may sit unused."""

    enabled: Flag = True
    public_url: Annotated[str, AfterValidator(_check_public_url)] = "http://localhost:3000"
    """The service's external base URL: links in mail point below it."""
    idle_timeout: Annotated[Duration, Field(gt=0)] = 30 * 60.0
    console_csp: str = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    """The console pages' Content-Security-Policy: the site policy opened only as far as the
    console needs — its own script and stylesheet, htmx requests and form posts to itself."""


class Settings(_Section):
    """The whole configuration; build it with ``load_config`` or directly in tests."""

    environment: Literal["dev", "test", "prod"] = "dev"
    name: str = "Boundary API"
    http: HttpSettings = HttpSettings()
    ops: OpsSettings = OpsSettings()
    database: DatabaseSettings
    cache: CacheSettings = CacheSettings()
    security: SecuritySettings
    logging: LoggingSettings = LoggingSettings()
    metrics: MetricsSettings = MetricsSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    error_reporting: ErrorReportingSettings = ErrorReportingSettings()
    web: WebSettings = WebSettings()
    mail: MailSettings = MailSettings()

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, data: object) -> object:
        return with_environment_defaults(data) if isinstance(data, Mapping) else data

    @property
    def docs_on(self) -> bool:
        """Whether ``/docs`` and ``/openapi.json`` are served: as configured, else not in prod."""
        enabled = self.http.docs_enabled
        return self.environment != "prod" if enabled is None else enabled


_DEV_ONLY: Mapping[str, object] = {
    "security.jwt_secret": core.DEV_JWT_SECRET,
    "security.session_secret": core.DEV_SESSION_SECRET,
}
_ENVIRONMENT_DEFAULTS: Mapping[str, Mapping[str, object]] = MappingProxyType(
    {
        "dev": {
            **_DEV_ONLY,
            "database.url": "sqlite:///var/boundary.db",
            "database.auto_migrate": True,
            "mail.url": "log://",
        },
        "test": {**_DEV_ONLY, "database.url": "sqlite:///:memory:", "mail.url": "log://"},
        "prod": {"logging.format": "json"},
    }
)


def environment_defaults(environment: str) -> dict[str, object]:
    """Flat defaults that differ per environment.

    prod has no database URL and no secrets: their absence is refused (``core.prod_refusals``)
    rather than silently filled with dev values.
    """
    return dict(_ENVIRONMENT_DEFAULTS[environment])


def with_environment_defaults(data: Mapping[str, object]) -> dict[str, object]:
    """Nested settings input with the environment's defaults filled in where absent."""
    environment = core.normalize_environment(data.get("environment", "dev"))
    if environment is None:
        return dict(data)  # the Literal field reports the bad environment
    result: dict[str, object] = {**data, "environment": environment}
    for key, value in environment_defaults(environment).items():
        section, field = key.split(".")
        table = result.get(section, {})
        if isinstance(table, Mapping) and field not in table:
            result[section] = {**table, field: value}
    if environment != "prod":
        _local_public_url(result)
    return result


def _local_public_url(result: dict[str, object]) -> None:
    """dev and test: an unset ``web.public_url`` is this machine on ``http.port``, so mailed
    links open the local service even when ``PORT`` moved it off 3000."""
    web, http = result.get("web", {}), result.get("http", {})
    if not isinstance(web, Mapping) or "public_url" in web or not isinstance(http, Mapping):
        return
    port = str(http.get("port", HttpSettings.model_fields["port"].default)).strip()
    if port.isdigit():
        result["web"] = {**web, "public_url": f"http://localhost:{int(port)}"}


SECTIONS: Mapping[str, type[BaseModel]] = MappingProxyType(
    {
        "http": HttpSettings,
        "ops": OpsSettings,
        "database": DatabaseSettings,
        "cache": CacheSettings,
        "security": SecuritySettings,
        "logging": LoggingSettings,
        "metrics": MetricsSettings,
        "rate_limit": RateLimitSettings,
        "error_reporting": ErrorReportingSettings,
        "web": WebSettings,
        "mail": MailSettings,
    }
)
"""Section name → its model, in the order ``config show`` lists them."""


def known_keys() -> dict[str, tuple[str, ...]]:
    """Section → field names in model order; ``settings`` holds the top-level scalar fields."""
    top = tuple(name for name in Settings.model_fields if name not in SECTIONS)
    known = {"settings": top} | {
        name: tuple(info.alias or field for field, info in m.model_fields.items())
        for name, m in SECTIONS.items()
    }
    for single, plural in core.SINGLE_VALUED_FORMS.items():
        section, field = single.split(".")
        fields = known[section]
        at = fields.index(plural.split(".")[1])
        known[section] = (*fields[:at], field, *fields[at:])
    return known


def attribute_of(section: str, key: str) -> str:
    """The model attribute behind a key: ``mail.from`` is ``MailSettings.sender``."""
    model = SECTIONS.get(section)
    if model is not None:
        for name, info in model.model_fields.items():
            if info.alias == key:
                return name
    return key


def _keys_where(test: Callable[[FieldInfo], bool]) -> frozenset[str]:
    return frozenset(
        f"{section}.{name}"
        for section, model in SECTIONS.items()
        for name, info in model.model_fields.items()
        if test(info)
    )


SECRET_KEYS = _keys_where(lambda info: "SecretStr" in str(info.annotation))
"""Keys whose values are never shown or echoed."""
DURATION_KEYS = _keys_where(
    lambda info: any(getattr(m, "func", None) is _duration for m in info.metadata)
)
"""Keys holding seconds that ``config show`` prints Go-style."""


def model_input(flat: Mapping[str, object]) -> dict[str, object]:
    """Flat keys as the model's nested input; ``settings.*`` keys become top-level fields."""
    top: dict[str, object] = {}
    sections: dict[str, dict[str, object]] = {}
    for key, value in flat.items():
        section, field = key.split(".", 1)
        if section == "settings":
            top[field] = value
        else:
            sections.setdefault(section, {})[field] = value
    return {**top, **sections}
