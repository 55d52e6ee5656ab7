"""Loading configuration: files, environment, CLI overrides, model validation, ``config show``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from boundary.config import ConfigError, LoadedConfig, Settings, core, load_config, show_lines
from boundary.config import model as config_model

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"
JWT = "j" * 64
SESSION = "s" * 64
PROD_ENV = {"DATABASE_URL": "postgresql://app:pw-9f2c@db:5432/boundary"} | {
    "JWT_SECRET": JWT,
    "SESSION_SECRET": SESSION,
}


def write(directory: Path, env: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{env}.toml").write_text(text, encoding="utf-8")
    return directory


def load(tmp_path: Path, text: str = "", env: str = "dev", **kwargs: object) -> LoadedConfig:
    """Load ``env`` from a temporary config dir holding ``text``."""
    environ = kwargs.pop("environ", {})
    assert isinstance(environ, dict)
    overrides = kwargs.pop("overrides", None)
    assert overrides is None or isinstance(overrides, dict)
    return load_config(
        env=env, config_dir=write(tmp_path, env, text), environ=environ, overrides=overrides
    )


def error_of(tmp_path: Path, text: str = "", env: str = "dev", **kwargs: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


class TestEnvironmentSelection:
    def test_default_is_dev(self, tmp_path: Path) -> None:
        """No flag and no ENV: dev, sourced ``default``."""
        loaded = load_config(config_dir=write(tmp_path, "dev", ""), environ={})
        assert loaded.settings.environment == "dev"
        assert loaded.sources["settings.environment"] == "default"

    def test_env_variable_and_aliases(self, tmp_path: Path) -> None:
        """ENV accepts aliases in any case."""
        loaded = load_config(config_dir=write(tmp_path, "test", ""), environ={"ENV": "Testing"})
        assert loaded.settings.environment == "test"
        assert loaded.sources["settings.environment"] == "env ENV"

    def test_flag_beats_env_variable(self, tmp_path: Path) -> None:
        """``--env`` wins over ENV."""
        write(tmp_path, "test", "")
        loaded = load_config(env="test", config_dir=tmp_path, environ={"ENV": "prod"})
        assert loaded.settings.environment == "test"
        assert loaded.sources["settings.environment"] == "cli --env"

    def test_empty_env_variable_means_dev(self, tmp_path: Path) -> None:
        """``ENV=`` is unset."""
        loaded = load_config(config_dir=write(tmp_path, "dev", ""), environ={"ENV": ""})
        assert loaded.settings.environment == "dev"

    def test_unknown_environment(self, tmp_path: Path) -> None:
        """An unknown ENV is a configuration error naming it and the accepted values."""
        with pytest.raises(ConfigError) as caught:
            load_config(config_dir=tmp_path, environ={"ENV": "staging"})
        assert str(caught.value) == (
            "settings.environment: expected one of dev, test, prod (or development, testing, "
            "production), got 'staging' (from env ENV)"
        )


class TestConfigDirectory:
    def test_missing_default_file_is_a_warning(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without config/dev.toml the defaults apply, with a warning."""
        monkeypatch.chdir(tmp_path)
        loaded = load_config(environ={})
        assert loaded.config_dir == Path("config")
        assert loaded.settings.http.port == 3000
        assert loaded.warnings == (
            "config file config/dev.toml not found; using defaults and environment variables",
        )

    def test_default_directory_is_config(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``config/<env>.toml`` relative to the current directory, sourced by its path."""
        monkeypatch.chdir(tmp_path)
        write(tmp_path / "config", "dev", "[http]\nport = 3100\n")
        loaded = load_config(environ={})
        assert loaded.settings.http.port == 3100
        assert loaded.sources["http.port"] == "file config/dev.toml"

    def test_directory_from_environment(self, tmp_path: Path) -> None:
        """BOUNDARY_CONFIG_DIR selects the directory."""
        write(tmp_path, "dev", "[http]\nport = 3200\n")
        loaded = load_config(environ={"BOUNDARY_CONFIG_DIR": str(tmp_path)})
        assert loaded.settings.http.port == 3200
        assert loaded.config_dir == tmp_path

    @pytest.mark.parametrize("by_flag", [True, False])
    def test_missing_file_in_a_chosen_directory_is_an_error(
        self, tmp_path: Path, by_flag: bool
    ) -> None:
        """A directory chosen by flag or variable must hold the environment's file."""
        environ = {} if by_flag else {"BOUNDARY_CONFIG_DIR": str(tmp_path)}
        with pytest.raises(ConfigError, match=r"config file .*dev\.toml not found"):
            load_config(config_dir=tmp_path if by_flag else None, environ=environ)


class TestPriority:
    FILE = "[http]\nport = 3001\nhost = '127.0.0.1'\nmax_body_bytes = 10\nworkers = 2\n"

    def test_each_layer_overrides_the_one_below(self, tmp_path: Path) -> None:
        """CLI > guide variable > BOUNDARY_ variable > file > default, key by key."""
        environ = {"PORT": "3002", "BOUNDARY_HTTP__PORT": "3003", "BOUNDARY_HTTP__HOST": "::"}
        loaded = load(tmp_path, self.FILE, environ=environ, overrides={"http.workers": 4})
        http = loaded.settings.http
        assert (http.port, http.host, http.max_body_bytes, http.workers) == (3002, "::", 10, 4)
        assert loaded.sources["http.port"] == "env PORT"
        assert loaded.sources["http.host"] == "env BOUNDARY_HTTP__HOST"
        assert loaded.sources["http.max_body_bytes"] == f"file {tmp_path / 'dev.toml'}"
        assert loaded.sources["http.workers"] == "cli --workers"
        assert loaded.sources["ops.host"] == "default"
        assert "env BOUNDARY_HTTP__PORT is ignored" in loaded.warnings[0]

    def test_cli_overrides_win_and_none_is_skipped(self, tmp_path: Path) -> None:
        """Flag values beat the environment; flags not given (None) change nothing."""
        overrides = {"http.port": 4000, "ops.port": 4001, "http.host": None}
        loaded = load(tmp_path, self.FILE, environ={"PORT": "1"}, overrides=overrides)
        assert (loaded.settings.http.port, loaded.settings.ops.port) == (4000, 4001)
        assert loaded.settings.http.host == "127.0.0.1"
        assert loaded.sources["http.port"] == "cli --port"
        assert loaded.sources["ops.port"] == "cli --ops-port"

    def test_unknown_override_key(self, tmp_path: Path) -> None:
        """An override must name a configuration key."""
        assert "http.nope: unknown key" in error_of(tmp_path, overrides={"http.nope": 1})

    @pytest.mark.parametrize(
        ("variable", "value", "key", "expected"),
        [
            ("PORT", "8080", "http.port", 8080),
            ("OPS_PORT", "9999", "ops.port", 9999),
            ("DATABASE_URL", "sqlite:///tmp/x.db", "database.url", "sqlite:///tmp/x.db"),
            ("DATABASE_POOL_SIZE", "20", "database.pool_size", 20),
            ("DATABASE_POOL_TIMEOUT", "5000", "database.pool_timeout_ms", 5000),
            ("GRACEFUL_SHUTDOWN_WAIT_DURATION", "1m30s", "ops.graceful_shutdown_wait_duration", 90),
            ("LOG_LEVEL", "WARNING", "logging.level", "warn"),
            ("LOG_FORMAT", "JSON", "logging.format", "json"),
            (
                "RATE_LIMIT_STORAGE_URL",
                "redis://r:6379/0",
                "rate_limit.storage_url",
                "redis://r:6379/0",
            ),
            ("DATADOG_SERVICE", "api", "metrics.service", "api"),
            ("DATADOG_ENVIRONMENT", "staging", "metrics.environment", "staging"),
            ("DATADOG_STATSD_HOST", "agent", "metrics.statsd_host", "agent"),
            ("DATADOG_STATSD_PORT", "8126", "metrics.statsd_port", 8126),
            ("SENTRY_ENVIRONMENT", "qa", "error_reporting.environment", "qa"),
            ("SENTRY_RELEASE", "v1.2.3", "error_reporting.release", "v1.2.3"),
        ],
    )
    def test_guide_variables(
        self, tmp_path: Path, variable: str, value: str, key: str, expected: object
    ) -> None:
        """Each of the guide's variables sets its key, sourced ``env <VARIABLE>``."""
        loaded = load(tmp_path, environ={variable: value})
        section, field = key.split(".")
        assert getattr(getattr(loaded.settings, section), field) == expected
        assert loaded.sources[key] == f"env {variable}"

    def test_guide_secret_variables(self, tmp_path: Path) -> None:
        """Secret variables land in SecretStr fields."""
        environ = {
            "JWT_SECRET": JWT,
            "SESSION_SECRET": SESSION,
            "JWT_PREVIOUS_SECRETS": '["old-1", "old-2"]',
            "DATADOG_API_KEY": "dd-key",
            "SENTRY_DSN": "https://k@sentry.example/1",
        }
        settings = load(tmp_path, environ=environ).settings
        assert settings.security.jwt_secret.get_secret_value() == JWT
        assert settings.security.session_secret.get_secret_value() == SESSION
        previous = [s.get_secret_value() for s in settings.security.jwt_previous_secrets]
        assert previous == ["old-1", "old-2"]
        assert settings.metrics.datadog_api_key is not None
        assert settings.metrics.datadog_api_key.get_secret_value() == "dd-key"
        assert settings.error_reporting.dsn is not None

    def test_every_guide_variable_names_a_model_key(self) -> None:
        """The guide's table and the model agree."""
        known = config_model.known_keys()
        for key in core.GUIDE_VARIABLES.values():
            section, field = key.split(".")
            assert field in known[section], key


class TestFiles:
    def test_interpolation(self, tmp_path: Path) -> None:
        """``${VAR}``, ``${VAR:-default}`` and ``$${`` work, also inside lists."""
        text = (
            '[rate_limit]\nstorage_url = "redis://${REDIS_HOST}:6379/0"\n'
            '[http]\ntrusted_proxies = ["${LB_NET}", "${EXTRA:-127.0.0.1}"]\n'
            'content_security_policy = "$${literal}"\n'
        )
        loaded = load(tmp_path, text, environ={"REDIS_HOST": "cache", "LB_NET": "10.0.0.0/8"})
        assert loaded.settings.rate_limit.storage_url == "redis://cache:6379/0"
        assert loaded.settings.http.trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
        assert loaded.settings.http.content_security_policy == "${literal}"

    def test_unset_variable_names_variable_key_and_file(self, tmp_path: Path) -> None:
        """A required reference that is unset stops loading with a clear message."""
        message = error_of(tmp_path, '[rate_limit]\nstorage_url = "redis://${REDIS_HOST}"\n')
        assert message.startswith("rate_limit.storage_url: ${REDIS_HOST} is not set")
        assert message.endswith(f"(in file {tmp_path / 'dev.toml'})")

    def test_unknown_key_names_file_and_key(self, tmp_path: Path) -> None:
        """A typo in a key is not silently ignored."""
        message = error_of(tmp_path, "[http]\nprot = 1\n")
        assert message.startswith("http.prot: unknown key")
        assert str(tmp_path / "dev.toml") in message

    def test_unknown_section(self, tmp_path: Path) -> None:
        """A typo in a section is not silently ignored."""
        assert error_of(tmp_path, "[htpp]\nport = 1\n").startswith("htpp: unknown section")

    def test_invalid_toml(self, tmp_path: Path) -> None:
        """A file that is not TOML is named."""
        message = error_of(tmp_path, "[http\nport = \n")
        assert message.startswith(f"file {tmp_path / 'dev.toml'}: invalid TOML")


class TestValidation:
    def test_type_error_names_key_value_source_and_expectation(self, tmp_path: Path) -> None:
        """The message operators see for a bad integer."""
        message = error_of(tmp_path, environ={"PORT": "abc"})
        assert message == "http.port: expected an integer, got 'abc' (from env PORT)"

    def test_range_error(self, tmp_path: Path) -> None:
        """Ports are 1–65535."""
        message = error_of(tmp_path, "[ops]\nport = 70000\n")
        source = f"file {tmp_path / 'dev.toml'}"
        assert message == f"ops.port: expected a number <= 65535, got 70000 (from {source})"

    def test_several_bad_keys_share_one_line(self, tmp_path: Path) -> None:
        """Every bad key is reported, on one line."""
        environ = {"PORT": "x", "BOUNDARY_HTTP__WORKERS": "0", "LOG_LEVEL": "loud"}
        message = error_of(tmp_path, environ=environ)
        assert message.startswith("http.port: expected an integer, got 'x' (from env PORT); ")
        assert (
            "http.workers: expected a number >= 1, got '0' (from env BOUNDARY_HTTP__WORKERS)"
            in message
        )
        assert "logging.level: expected one of 'trace', 'debug'" in message

    def test_secret_values_are_never_echoed(self, tmp_path: Path) -> None:
        """A bad secret is named, but its value does not appear."""
        environ = {"JWT_PREVIOUS_SECRETS": '["hunter2-secret", '}
        message = error_of(tmp_path, "[security]\njwt_secret = 987654321\n", environ=environ)
        assert "hunter2" not in message
        assert "987654321" not in message
        assert "security.jwt_secret: expected a string (from file" in message
        assert "security.jwt_previous_secrets: expected a JSON list" in message

    def test_pydantic_error_is_not_chained(self, tmp_path: Path) -> None:
        """Tracebacks of the ConfigError do not carry pydantic's text (which echoes input)."""
        with pytest.raises(ConfigError) as caught:
            load(tmp_path, environ={"PORT": "abc"})
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__
        assert caught.value.key == "http.port"
        assert caught.value.source == "env PORT"

    def test_database_url_password_is_redacted_in_errors(self, tmp_path: Path) -> None:
        """An unsupported URL is quoted without its password."""
        message = error_of(tmp_path, environ={"DATABASE_URL": "oracle://u:topsecret@h/db"})
        assert "topsecret" not in message
        assert "got 'oracle://u:********@h/db' (from env DATABASE_URL)" in message

    @pytest.mark.parametrize("value", ["yes", "ON", "1", "true"])
    def test_booleans(self, tmp_path: Path, value: str) -> None:
        """Boolean spellings from the environment."""
        loaded = load(tmp_path, environ={"BOUNDARY_OPS__ENABLED": value.swapcase()})
        assert loaded.settings.ops.enabled is True

    def test_bad_boolean(self, tmp_path: Path) -> None:
        """A non-boolean says what is accepted."""
        message = error_of(tmp_path, environ={"BOUNDARY_RATE_LIMIT__ENABLED": "maybe"})
        assert message.startswith("rate_limit.enabled: expected a boolean")

    @pytest.mark.parametrize("value", ['["10.0.0.0/8", "::1"]', "10.0.0.0/8, ::1"])
    def test_lists(self, tmp_path: Path, value: str) -> None:
        """Lists from the environment as JSON or comma-separated."""
        loaded = load(tmp_path, environ={"BOUNDARY_HTTP__TRUSTED_PROXIES": value})
        assert loaded.settings.http.trusted_proxies == ["10.0.0.0/8", "::1"]

    def test_bad_network(self, tmp_path: Path) -> None:
        """Trusted proxies must be IPs or CIDRs."""
        message = error_of(tmp_path, environ={"BOUNDARY_HTTP__TRUSTED_PROXIES": "10.0.0.0/33"})
        assert message.startswith("http.trusted_proxies: expected IP addresses or CIDR networks")

    def test_durations(self, tmp_path: Path) -> None:
        """Durations accept Go syntax and bare seconds, from files and the environment."""
        text = '[security]\nsession_ttl = "2h45m"\nlockout_duration = 90\n'
        loaded = load(tmp_path, text, environ={"BOUNDARY_OPS__SHUTDOWN_TIMEOUT": "1.5"})
        assert loaded.settings.security.session_ttl == 9900.0
        assert loaded.settings.security.lockout_duration == 90.0
        assert loaded.settings.ops.shutdown_timeout == 1.5

    def test_bad_duration(self, tmp_path: Path) -> None:
        """A bad duration names the key and the expected syntax."""
        message = error_of(tmp_path, environ={"GRACEFUL_SHUTDOWN_WAIT_DURATION": "-5s"})
        assert message.startswith(
            "ops.graceful_shutdown_wait_duration: expected a non-negative duration in Go syntax"
        )
        assert message.endswith("got '-5s' (from env GRACEFUL_SHUTDOWN_WAIT_DURATION)")

    def test_providers_accept_a_single_name(self, tmp_path: Path) -> None:
        """``BOUNDARY_METRICS__PROVIDERS=Datadog-StatsD`` is a one-item list."""
        loaded = load(tmp_path, environ={"BOUNDARY_METRICS__PROVIDERS": "Datadog-StatsD"})
        assert loaded.settings.metrics.providers == ["datadog-statsd"]

    def test_single_provider_from_the_environment(self, tmp_path: Path) -> None:
        """``BOUNDARY_METRICS__PROVIDER`` (the contract's key) is a one-item ``providers``."""
        environ = {"BOUNDARY_METRICS__PROVIDER": "datadog-statsd"}
        loaded = load(tmp_path, '[metrics]\nproviders = ["prometheus"]\n', environ=environ)
        assert loaded.settings.metrics.providers == ["datadog-statsd"]
        assert loaded.sources["metrics.providers"] == "env BOUNDARY_METRICS__PROVIDER"

    def test_single_provider_in_a_file(self, tmp_path: Path) -> None:
        """``provider = "…"`` in a file, and ``config show`` prints both keys from that file."""
        loaded = load(tmp_path, '[metrics]\nprovider = "Datadog-StatsD"\n')
        assert loaded.settings.metrics.providers == ["datadog-statsd"]
        lines = {line.split()[0]: line.split()[1:] for line in show_lines(loaded)}
        source = ["file", str(tmp_path / "dev.toml")]
        assert lines["metrics.provider"] == ["datadog-statsd", *source]
        assert lines["metrics.providers"] == ['["datadog-statsd"]', *source]

    def test_config_show_of_several_providers(self, tmp_path: Path) -> None:
        """With two back-ends the single-valued key shows as unset."""
        environ = {"BOUNDARY_METRICS__PROVIDERS": "prometheus,datadog-statsd"}
        lines = show_lines(load(tmp_path, environ=environ))
        provider = next(line for line in lines if line.startswith("metrics.provider "))
        assert provider.split()[1:] == ["(unset)", "env", "BOUNDARY_METRICS__PROVIDERS"]

    @pytest.mark.parametrize(
        ("text", "environ"),
        [
            ('[metrics]\nprovider = "datadog-statsd"\nproviders = ["prometheus"]\n', {}),
            (
                "",
                {
                    "BOUNDARY_METRICS__PROVIDER": "datadog-statsd",
                    "BOUNDARY_METRICS__PROVIDERS": "prometheus",
                },
            ),
        ],
    )
    def test_single_and_list_provider_disagreeing(
        self, tmp_path: Path, text: str, environ: dict[str, str]
    ) -> None:
        """Both forms in one place, naming different back-ends: an error naming both keys."""
        message = error_of(tmp_path, text, environ=environ)
        assert message.startswith("metrics.provider = 'datadog-statsd' and metrics.providers")
        assert "disagree" in message

    def test_single_and_list_provider_agreeing(self, tmp_path: Path) -> None:
        """Both forms naming the same back-end are fine."""
        environ = {"BOUNDARY_METRICS__PROVIDER": "prometheus"}
        loaded = load(tmp_path, '[metrics]\nprovider = "prometheus"\n', environ=environ)
        assert loaded.settings.metrics.providers == ["prometheus"]

    def test_unknown_single_provider(self, tmp_path: Path) -> None:
        """A misspelt provider names the allowed values and the variable that set it."""
        message = error_of(tmp_path, environ={"BOUNDARY_METRICS__PROVIDER": "statsd"})
        assert message.startswith("metrics.providers: expected one of")
        assert message.endswith("(from env BOUNDARY_METRICS__PROVIDER)")

    def test_password_min_score(self, tmp_path: Path) -> None:
        """``security.password_min_score`` defaults to 3 and takes 0-4 from the environment."""
        assert load(tmp_path).settings.security.password_min_score == 3
        environ = {"BOUNDARY_SECURITY__PASSWORD_MIN_SCORE": "4"}
        assert load(tmp_path, environ=environ).settings.security.password_min_score == 4
        message = error_of(tmp_path, environ={"BOUNDARY_SECURITY__PASSWORD_MIN_SCORE": "5"})
        assert message.startswith("security.password_min_score: expected a number <= 4")

    def test_unknown_prefixed_variable(self, tmp_path: Path) -> None:
        """A misspelt BOUNDARY_ variable is named."""
        message = error_of(tmp_path, environ={"BOUNDARY_HTTP__MAX_BODY": "1"})
        assert message.startswith("BOUNDARY_HTTP__MAX_BODY: names no configuration key")


class TestEnvironmentDefaults:
    def test_dev(self, tmp_path: Path) -> None:
        """dev: SQLite file, auto-migrate, console logs, docs on, dev-only secrets."""
        settings = load(tmp_path).settings
        assert settings.database.url == "sqlite:///var/boundary.db"
        assert settings.database.auto_migrate is True
        assert settings.logging.format == "console"
        assert settings.docs_on is True
        assert settings.security.jwt_secret.get_secret_value() == core.DEV_JWT_SECRET
        assert settings.security.session_secret.get_secret_value() == core.DEV_SESSION_SECRET

    def test_test(self, tmp_path: Path) -> None:
        """test: in-memory SQLite, no auto-migrate."""
        settings = load(tmp_path, env="test").settings
        assert settings.database.url == "sqlite:///:memory:"
        assert settings.database.auto_migrate is False

    def test_prod(self, tmp_path: Path) -> None:
        """prod: JSON logs, docs off, no auto-migrate."""
        settings = load(tmp_path, env="prod", environ=PROD_ENV).settings
        assert settings.logging.format == "json"
        assert settings.docs_on is False
        assert settings.database.auto_migrate is False

    def test_docs_can_be_forced_on_in_prod(self, tmp_path: Path) -> None:
        """``http.docs_enabled`` overrides the environment's choice."""
        text = "[http]\ndocs_enabled = true\n"
        assert load(tmp_path, text, env="prod", environ=PROD_ENV).settings.docs_on is True

    def test_model_applies_environment_defaults_directly(self) -> None:
        """``Settings.model_validate({"environment": …})`` is complete without the loader."""
        settings = Settings.model_validate({"environment": "testing"})
        assert settings.environment == "test"
        assert settings.database.url == "sqlite:///:memory:"

    def test_settings_are_frozen(self) -> None:
        """Nobody changes settings after loading."""
        settings = Settings.model_validate({})
        with pytest.raises(ValidationError):
            settings.http.port = 1  # type: ignore[misc]
        with pytest.raises(ValidationError):
            settings.environment = "prod"  # type: ignore[misc]


class TestProd:
    def test_nothing_set_is_refused_naming_each_variable(self, tmp_path: Path) -> None:
        """Prod without secrets or DATABASE_URL does not start."""
        message = error_of(tmp_path, env="prod")
        assert message.startswith("JWT_SECRET is not set")
        assert "SESSION_SECRET is not set" in message
        assert "DATABASE_URL is not set" in message

    def test_short_or_dev_secrets_are_refused_without_values(self, tmp_path: Path) -> None:
        """Weak secrets are refused; the message never contains them."""
        environ = PROD_ENV | {"JWT_SECRET": "tiny-secret", "SESSION_SECRET": core.DEV_JWT_SECRET}
        message = error_of(tmp_path, env="prod", environ=environ)
        assert "JWT_SECRET (security.jwt_secret, from env JWT_SECRET) is shorter than 32" in message
        assert "SESSION_SECRET (security.session_secret, from env SESSION_SECRET) equals" in message
        assert "tiny-secret" not in message
        assert core.DEV_JWT_SECRET not in message

    def test_database_url_from_the_file_is_accepted(self, tmp_path: Path) -> None:
        """DATABASE_URL is only required while database.url has no source at all."""
        text = '[database]\nurl = "postgresql://db/boundary"\n'
        environ = {"JWT_SECRET": JWT, "SESSION_SECRET": SESSION}
        loaded = load(tmp_path, text, env="prod", environ=environ)
        assert loaded.settings.database.url == "postgresql://db/boundary"


class TestRepositoryFiles:
    def test_prod_without_a_mail_server_warns(self) -> None:
        loaded = load_config(env="prod", config_dir=REPO_CONFIG, environ=PROD_ENV)
        assert len(loaded.warnings) == 1
        assert loaded.warnings[0].startswith("mail.url (MAIL_URL) is not set")

    def test_prod_mail_without_a_public_url_warns(self) -> None:
        environ = {**PROD_ENV, "MAIL_URL": "smtp://mail:25"}
        loaded = load_config(env="prod", config_dir=REPO_CONFIG, environ=environ)
        assert loaded.warnings == (
            "web.public_url (PUBLIC_URL) is not set: links in mail point to "
            "http://localhost:3000, not to where users reach the service",
        )

    @pytest.mark.parametrize(
        ("environ", "expected"),
        [
            ({}, "http://localhost:3000"),
            ({"PORT": "8000"}, "http://localhost:8000"),
            ({"PORT": "8000", "PUBLIC_URL": "https://id.example.com/"}, "https://id.example.com"),
        ],
    )
    def test_dev_links_follow_the_port_unless_public_url_is_set(
        self, environ: dict[str, str], expected: str
    ) -> None:
        loaded = load_config(env="dev", config_dir=REPO_CONFIG, environ=environ)
        assert loaded.settings.web.public_url == expected

    def test_an_unreadable_mail_ca_file_warns(self, tmp_path: Path) -> None:
        missing = tmp_path / "missing.pem"
        environ = {"BOUNDARY_MAIL__CA_FILE": str(missing)}
        loaded = load_config(env="dev", config_dir=REPO_CONFIG, environ=environ)
        assert loaded.settings.mail.ca_file == str(missing)
        assert loaded.warnings == (
            f"mail.ca_file {str(missing)!r} is not a readable file: no mail can be delivered",
        )
        missing.write_text("-----BEGIN CERTIFICATE-----\n")
        loaded = load_config(env="dev", config_dir=REPO_CONFIG, environ=environ)
        assert loaded.warnings == ()

    @pytest.mark.parametrize("env", ["dev", "test", "prod"])
    def test_each_environment_file_loads_cleanly(self, env: str) -> None:
        """config/<env>.toml is valid and produces no warnings (prod given its mail server,
        whose absence is warned about: see the next test)."""
        mail = {"MAIL_URL": "smtp://mail:25", "PUBLIC_URL": "https://id.example.com"}
        environ = {**PROD_ENV, **mail} if env == "prod" else {}
        loaded = load_config(env=env, config_dir=REPO_CONFIG, environ=environ)
        assert loaded.settings.environment == env
        assert loaded.warnings == ()

    def test_prod_file_holds_no_secrets_and_no_database_url(self) -> None:
        """Secrets and the database URL come from the environment only."""
        text = (REPO_CONFIG / "prod.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        flat = {f"{section}.{key}" for section, table in data.items() for key in table}
        assert not flat & (config_model.SECRET_KEYS | {"database.url"})
        assert "${" not in text

    def test_prod_file_refuses_clearly_without_database_url(self) -> None:
        """A missing DATABASE_URL is the clear refusal, not an interpolation error."""
        environ = {"JWT_SECRET": JWT, "SESSION_SECRET": SESSION}
        with pytest.raises(ConfigError, match=r"^DATABASE_URL is not set"):
            load_config(env="prod", config_dir=REPO_CONFIG, environ=environ)


class TestWarnings:
    def test_shutdown_budget(self, tmp_path: Path) -> None:
        """Wait + shutdown timeout beyond the grace period is a warning, not an error."""
        loaded = load(tmp_path, environ={"GRACEFUL_SHUTDOWN_WAIT_DURATION": "45s"})
        assert loaded.warnings == (core.shutdown_warning(45.0, 30.0, 60.0),)


class TestShow:
    def test_one_line_per_key_with_value_and_source(self, tmp_path: Path) -> None:
        """Every key once, in order, as ``key value source``."""
        loaded = load(tmp_path, "[http]\nport = 3001\n", environ={"OPS_PORT": "9300"})
        lines = show_lines(loaded)
        assert [line.split()[0] for line in lines] == list(loaded.sources)
        by_key = {line.split()[0]: line.split() for line in lines}
        assert by_key["http.port"] == ["http.port", "3001", "file", str(tmp_path / "dev.toml")]
        assert by_key["ops.port"] == ["ops.port", "9300", "env", "OPS_PORT"]
        assert by_key["http.workers"] == ["http.workers", "1", "default"]

    def test_secrets_and_passwords_are_redacted(self, tmp_path: Path) -> None:
        """No secret value appears; URL passwords are masked."""
        environ = PROD_ENV | {
            "JWT_PREVIOUS_SECRETS": "old-one,old-two",
            "SENTRY_DSN": "https://k@s/1",
        }
        environ |= {"RATE_LIMIT_STORAGE_URL": "redis://:redispw@cache:6379/0"}
        output = "\n".join(show_lines(load(tmp_path, env="prod", environ=environ)))
        for secret in (JWT, SESSION, "old-one", "pw-9f2c", "redispw", "https://k@s/1"):
            assert secret not in output
        assert "postgresql://app:********@db:5432/boundary" in output
        assert "redis://:********@cache:6379/0" in output
        assert '["********", "********"]' in output

    def test_values_are_readable(self, tmp_path: Path) -> None:
        """Durations Go-style, booleans lowercase, lists as JSON, unset values marked."""
        lines = show_lines(load(tmp_path, environ={"BOUNDARY_HTTP__TRUSTED_PROXIES": "10.0.0.0/8"}))
        by_key = {line.split()[0]: line.split()[1] for line in lines}
        assert by_key["security.session_ttl"] == "168h0m0s"
        assert by_key["ops.shutdown_timeout"] == "30s"
        assert by_key["rate_limit.enabled"] == "true"
        assert by_key["http.trusted_proxies"] == '["10.0.0.0/8"]'
        assert by_key["error_reporting.dsn"] == "(unset)"
        assert by_key["security.jwt_secret"] == core.REDACTED


def test_secret_and_duration_keys_match_the_brief() -> None:
    """The model marks exactly these keys as secrets and as durations."""
    secret_keys = config_model.SECRET_KEYS
    duration_keys = config_model.DURATION_KEYS
    assert secret_keys == {
        "security.jwt_secret",
        "security.jwt_previous_secrets",
        "security.session_secret",
        "metrics.datadog_api_key",
        "error_reporting.dsn",
    }
    assert duration_keys == {
        "http.request_read_timeout",
        "http.keep_alive_timeout",
        "ops.graceful_shutdown_wait_duration",
        "ops.shutdown_timeout",
        "ops.termination_grace_period",
        "ops.health_check_interval",
        "ops.liveness_stall_threshold",
        "ops.health_check_timeout",
        "ops.loop_stall_threshold",
        "security.access_token_ttl",
        "security.session_ttl",
        "security.lockout_duration",
        "rate_limit.storage_timeout",
        "cache.ttl",
        "web.idle_timeout",
        "security.reset_token_ttl",
        "security.verify_token_ttl",
        "mail.timeout",
        "mail.retry_initial",
        "mail.retry_max",
        "mail.retry_for",
        "mail.retention",
        "mail.poll_interval",
        "mail.lease",
    }
