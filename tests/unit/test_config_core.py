"""Configuration core: names, interpolation, layering, coercion and prod refusals (no I/O)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundary.config import core
from boundary.config.core import ConfigInputError, Sourced
from boundary.kernel.redaction import redact_url

KNOWN: dict[str, tuple[str, ...]] = {
    "settings": ("environment", "name"),
    "http": ("host", "port", "max_body_bytes"),
    "database": ("url", "pool_size"),
    "security": ("jwt_secret", "session_secret"),
}
GOOD_SECRET = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("dev", "dev"),
        ("Development", "dev"),
        ("TEST", "test"),
        ("testing", "test"),
        (" prod ", "prod"),
        ("Production", "prod"),
        ("staging", None),
        ("", None),
    ],
)
def test_normalize_environment(given_name: str, expected: str | None) -> None:
    """Environment names and aliases are accepted in any case; anything else is unknown."""
    assert core.normalize_environment(given_name) == expected


class TestInterpolate:
    def test_replaces_a_set_variable(self) -> None:
        """``${VAR}`` becomes the variable's value."""
        assert core.interpolate("redis://${HOST}:6379", {"HOST": "cache"}) == "redis://cache:6379"

    def test_default_applies_when_unset_or_empty(self) -> None:
        """``${VAR:-default}`` behaves as in POSIX shells."""
        assert core.interpolate("${X:-a b}", {}) == "a b"
        assert core.interpolate("${X:-fallback}", {"X": ""}) == "fallback"
        assert core.interpolate("${X:-fallback}", {"X": "set"}) == "set"
        assert core.interpolate("${X:-}", {}) == ""

    def test_required_variable_may_be_empty(self) -> None:
        """``${VAR}`` only needs the variable to exist."""
        assert core.interpolate("[${X}]", {"X": ""}) == "[]"

    def test_double_dollar_escapes(self) -> None:
        """``$${`` is a literal ``${``, and other dollars are left alone."""
        assert core.interpolate("$${HOME} costs $5 $$", {"HOME": "/root"}) == "${HOME} costs $5 $$"

    def test_several_references(self) -> None:
        """Each reference in a string is replaced."""
        environ = {"U": "bob", "H": "db"}
        assert core.interpolate("${U}@${H}:${P:-5432}", environ) == "bob@db:5432"

    def test_missing_variable_is_named(self) -> None:
        """An unset required variable is an error naming it and the fix."""
        with pytest.raises(ConfigInputError, match=r"\$\{DB_HOST\} is not set; set DB_HOST"):
            core.interpolate("postgresql://${DB_HOST}/x", {})

    @pytest.mark.parametrize("text", ["${", "${}", "${1A}", "${VAR", "${VAR:default}", "a ${ b"])
    def test_malformed_reference(self, text: str) -> None:
        """A ``${`` that is not a valid reference says what is expected."""
        with pytest.raises(ConfigInputError, match="malformed reference"):
            core.interpolate(text, {"VAR": "x"})

    @given(st.text().filter(lambda text: "$" not in text))
    def test_text_without_dollar_is_unchanged(self, text: str) -> None:
        """Plain text passes through untouched."""
        assert core.interpolate(text, {"A": "b"}) == text

    def test_lists_are_interpolated_and_other_values_kept(self) -> None:
        """Strings inside lists are interpolated; numbers and booleans are not touched."""
        environ = {"NET": "10.0.0.0/8"}
        assert core.interpolate_value(["${NET}", "127.0.0.1"], environ) == [
            "10.0.0.0/8",
            "127.0.0.1",
        ]
        assert core.interpolate_value(3000, environ) == 3000
        assert core.interpolate_value(True, environ) is True

    def test_layer_error_names_the_key(self) -> None:
        """The key whose value referenced the variable is part of the message."""
        with pytest.raises(ConfigInputError, match=r"^database\.url: \$\{DB\} is not set"):
            core.interpolate_layer({"http.port": 1, "database.url": "${DB}"}, {})


class TestFlattenSections:
    def test_flattens_known_keys(self) -> None:
        """Tables become dotted keys."""
        data = {"http": {"port": 3001}, "database": {"url": "sqlite://"}}
        assert core.flatten_sections(data, KNOWN) == {
            "http.port": 3001,
            "database.url": "sqlite://",
        }

    def test_unknown_section(self) -> None:
        """A section the model does not have is named, with the known ones."""
        with pytest.raises(ConfigInputError, match=r"^htp: unknown section .*http"):
            core.flatten_sections({"htp": {"port": 1}}, KNOWN)

    def test_unknown_key(self) -> None:
        """A key the section does not have is named, with the section's keys."""
        with pytest.raises(ConfigInputError, match=r"^http\.prot: unknown key .*host, port"):
            core.flatten_sections({"http": {"prot": 1}}, KNOWN)

    def test_section_must_be_a_table(self) -> None:
        """``http = 3`` is not a section."""
        with pytest.raises(ConfigInputError, match=r"^http: expected a \[http\] table"):
            core.flatten_sections({"http": 3}, KNOWN)

    def test_environment_cannot_be_configured(self) -> None:
        """The environment is chosen by --env or ENV, never by a file."""
        with pytest.raises(ConfigInputError, match="chosen by --env or ENV"):
            core.flatten_sections({"settings": {"environment": "prod"}}, KNOWN)


class TestEnvLayer:
    def test_guide_variables_map_to_keys(self) -> None:
        """PORT and DATABASE_URL set their keys, sourced by variable name."""
        layer = core.env_layer({"PORT": "8080", "DATABASE_URL": "sqlite://"}, KNOWN)
        assert layer.values == {
            "http.port": Sourced("8080", "env PORT"),
            "database.url": Sourced("sqlite://", "env DATABASE_URL"),
        }
        assert layer.warnings == ()

    def test_prefixed_variables_are_case_insensitive(self) -> None:
        """``BOUNDARY_<SECTION>__<KEY>`` in any case sets that key."""
        environ = {"BOUNDARY_HTTP__MAX_BODY_BYTES": "10", "boundary_settings__Name": "X"}
        assert core.env_layer(environ, KNOWN).values == {
            "http.max_body_bytes": Sourced("10", "env BOUNDARY_HTTP__MAX_BODY_BYTES"),
            "settings.name": Sourced("X", "env boundary_settings__Name"),
        }

    def test_guide_variable_wins_and_the_loser_is_reported(self) -> None:
        """PORT beats BOUNDARY_HTTP__PORT, with a warning naming both."""
        layer = core.env_layer({"PORT": "1", "BOUNDARY_HTTP__PORT": "2"}, KNOWN)
        assert layer.values == {"http.port": Sourced("1", "env PORT")}
        assert layer.warnings == (
            "env BOUNDARY_HTTP__PORT is ignored: env PORT also sets http.port and wins",
        )

    def test_empty_guide_variable_counts_as_unset(self) -> None:
        """``PORT=`` leaves the key to lower layers or to BOUNDARY_HTTP__PORT."""
        layer = core.env_layer({"PORT": "", "BOUNDARY_HTTP__PORT": "2"}, KNOWN)
        assert layer.values == {"http.port": Sourced("2", "env BOUNDARY_HTTP__PORT")}

    def test_non_key_variables_are_ignored(self) -> None:
        """ENV, BOUNDARY_CONFIG_DIR and BOUNDARY_TEST_* are not configuration keys."""
        environ = {
            "ENV": "prod",
            "BOUNDARY_CONFIG_DIR": "/etc/boundary",
            "BOUNDARY_REQUIRE_SERVICES": "1",
            "BOUNDARY_TEST_POSTGRES_URL": "postgresql://localhost/x",
            "HOME": "/root",
        }
        assert core.env_layer(environ, KNOWN).values == {}

    @pytest.mark.parametrize("name", ["BOUNDARY_HTTP__PROT", "BOUNDARY_NOPE__PORT", "BOUNDARY__X"])
    def test_unknown_prefixed_variable_is_named(self, name: str) -> None:
        """A BOUNDARY_ variable with ``__`` that names no key is an error naming it."""
        with pytest.raises(ConfigInputError, match=rf"^{name}: names no configuration key"):
            core.env_layer({name: "1"}, KNOWN)

    def test_environment_key_is_refused(self) -> None:
        """BOUNDARY_SETTINGS__ENVIRONMENT would contradict ENV."""
        with pytest.raises(ConfigInputError, match="chosen by --env or ENV"):
            core.env_layer({"BOUNDARY_SETTINGS__ENVIRONMENT": "prod"}, KNOWN)

    def test_two_spellings_of_one_key_conflict(self) -> None:
        """Two case variants of the same variable are ambiguous."""
        environ = {"BOUNDARY_HTTP__PORT": "1", "boundary_http__port": "2"}
        with pytest.raises(ConfigInputError, match=r"also sets http\.port"):
            core.env_layer(environ, KNOWN)


class TestFoldSingleValued:
    def test_single_value_becomes_the_list_key(self) -> None:
        """``metrics.provider`` is read as a one-item ``metrics.providers``, same source."""
        layer = {"metrics.provider": core.Sourced("datadog-statsd", "env X")}
        assert core.fold_single_valued(layer) == {
            "metrics.providers": core.Sourced(["datadog-statsd"], "env X")
        }

    def test_blank_single_value_is_unset(self) -> None:
        layer = {"metrics.provider": core.Sourced(" ", "env X")}
        assert core.fold_single_valued(layer) == {}

    def test_agreeing_forms(self) -> None:
        """Same back-end in both forms (any case, list or string): no error."""
        layer = {
            "metrics.provider": core.Sourced("Prometheus", "file f"),
            "metrics.providers": core.Sourced('["prometheus"]', "file f"),
        }
        assert core.fold_single_valued(layer)["metrics.providers"].value == ["Prometheus"]

    def test_disagreeing_forms_name_both_keys(self) -> None:
        layer = {
            "metrics.provider": core.Sourced("datadog-statsd", "env A"),
            "metrics.providers": core.Sourced("prometheus,datadog-statsd", "env B"),
        }
        expected = r"metrics\.provider = .* metrics\.providers"
        with pytest.raises(core.ConfigInputError, match=expected):
            core.fold_single_valued(layer)


def test_merge_later_layers_win_key_by_key() -> None:
    """Each key comes from the last layer that sets it."""
    file = {"http.port": Sourced(1, "file a"), "http.host": Sourced("h", "file a")}
    env = {"http.port": Sourced("2", "env PORT")}
    assert core.merge(file, env) == {
        "http.port": Sourced("2", "env PORT"),
        "http.host": Sourced("h", "file a"),
    }


class TestCoercion:
    @pytest.mark.parametrize("text", ["true", "TRUE", "1", "yes", "On", " on ", True, 1])
    def test_true_values(self, text: object) -> None:
        """The usual spellings of true, in any case."""
        assert core.parse_bool(text) is True

    @pytest.mark.parametrize("text", ["false", "False", "0", "no", "OFF", False, 0])
    def test_false_values(self, text: object) -> None:
        """The usual spellings of false, in any case."""
        assert core.parse_bool(text) is False

    @pytest.mark.parametrize("text", ["", "maybe", "2", 2, None, 1.0])
    def test_other_values_are_not_booleans(self, text: object) -> None:
        """Anything else says which spellings are accepted."""
        with pytest.raises(ValueError, match="expected a boolean"):
            core.parse_bool(text)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ('["10.0.0.0/8", "::1"]', ["10.0.0.0/8", "::1"]),
            ("10.0.0.0/8, 192.168.0.0/16", ["10.0.0.0/8", "192.168.0.0/16"]),
            ("a,,b, ", ["a", "b"]),
            ("prometheus", ["prometheus"]),
            ("", []),
            ("  []  ", []),
        ],
    )
    def test_split_list(self, text: str, expected: list[str]) -> None:
        """Lists come as a JSON list or comma-separated; blanks are dropped."""
        assert core.split_list(text) == expected

    def test_split_list_keeps_real_lists(self) -> None:
        """Lists from TOML are already lists."""
        assert core.split_list(["a"]) == ["a"]

    @pytest.mark.parametrize("text", ["[broken", '["a", ]', "[1", "[1] extra"])
    def test_split_list_rejects_bad_json_without_echoing_it(self, text: str) -> None:
        """Bad JSON is reported without the input (it may be a secret)."""
        with pytest.raises(ValueError, match="expected a JSON list") as caught:
            core.split_list(text)
        assert str(caught.value) == core.LIST_EXPECTED

    @pytest.mark.parametrize(
        ("level", "expected"), [("INFO", "info"), ("Warning", "warn"), (" debug ", "debug")]
    )
    def test_normalize_level(self, level: str, expected: str) -> None:
        """Levels are lowercase, and ``warning`` is ``warn``."""
        assert core.normalize_level(level) == expected

    def test_lowercase_also_lowers_list_items(self) -> None:
        """Provider names match in any case."""
        assert core.lowercase(["Prometheus", " NONE "]) == ["prometheus", "none"]
        assert core.lowercase(3) == 3

    def test_blank_to_none(self) -> None:
        """An empty or blank string means unset; other values are kept."""
        assert core.blank_to_none("") is None
        assert core.blank_to_none("  ") is None
        assert core.blank_to_none("x") == "x"
        assert core.blank_to_none(0) == 0


class TestRedactUrl:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("postgresql://user:pass@host/db", "postgresql://user:********@host/db"),
            ("mysql://u:p%40ss@h:3306/d", "mysql://u:********@h:3306/d"),
            ("redis://:pw@cache:6379/0", "redis://:********@cache:6379/0"),
            ("postgresql://u:p@ss@host/db", "postgresql://u:********@host/db"),
            ("postgresql://user@host/db", "postgresql://user@host/db"),
            ("sqlite:///var/boundary.db", "sqlite:///var/boundary.db"),
            ("memory://", "memory://"),
            ("not a url: a@b", "not a url: a@b"),
        ],
    )
    def test_examples(self, url: str, expected: str) -> None:
        """Only a URL's password is replaced, by `config show`'s marker."""
        assert redact_url(url, core.REDACTED) == expected

    @given(
        st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$&*~", min_size=1, max_size=30),
        st.text("abcdefghijklmnopqrstuvwxyz.", min_size=1, max_size=20),
    )
    def test_password_never_survives(self, user: str, password: str, host: str) -> None:
        """Whatever the password, it does not appear in the redacted URL."""
        redacted = redact_url(f"postgresql://{user}:{password}@{host}:5432/db", core.REDACTED)
        assert redacted == f"postgresql://{user}:{core.REDACTED}@{host}:5432/db"


class TestProdRefusals:
    def test_nothing_set_names_all_three_variables(self) -> None:
        """Missing secrets and database URL are each refused, by variable name."""
        refusals = core.prod_refusals({})
        assert [refusal.split()[0] for refusal in refusals] == [
            "JWT_SECRET",
            "SESSION_SECRET",
            "DATABASE_URL",
        ]

    def test_acceptable_values(self) -> None:
        """Long, real secrets and a database URL from any layer pass."""
        values = {
            "security.jwt_secret": Sourced(GOOD_SECRET, "env JWT_SECRET"),
            "security.session_secret": Sourced(GOOD_SECRET[::-1], "env SESSION_SECRET"),
            "database.url": Sourced("postgresql://x", "file config/prod.toml"),
        }
        assert core.prod_refusals(values) == []

    def test_default_source_counts_as_unset(self) -> None:
        """A value still from defaults is refused like a missing one."""
        values = {
            "security.jwt_secret": Sourced(core.DEV_JWT_SECRET, "default"),
            "security.session_secret": Sourced(GOOD_SECRET, "env SESSION_SECRET"),
            "database.url": Sourced("postgresql://x", "env DATABASE_URL"),
        }
        assert core.prod_refusals(values) == [
            "JWT_SECRET is not set: prod refuses the dev-only security.jwt_secret; "
            "use 32+ random bytes (`boundary secret` prints one)"
        ]

    def test_dev_default_and_short_secrets_are_refused_without_their_values(self) -> None:
        """Equal to a dev default or shorter than 32 bytes: refused, value never quoted."""
        values = {
            "security.jwt_secret": Sourced(core.DEV_SESSION_SECRET, "env JWT_SECRET"),
            "security.session_secret": Sourced("short-secret-xyz", "env SESSION_SECRET"),
            "database.url": Sourced("postgresql://x", "env DATABASE_URL"),
        }
        jwt, session = core.prod_refusals(values)
        assert jwt.startswith("JWT_SECRET (security.jwt_secret, from env JWT_SECRET) equals a dev")
        assert session.startswith("SESSION_SECRET (security.session_secret, from env SESSION")
        assert "shorter than 32 bytes" in session
        assert core.DEV_SESSION_SECRET not in jwt
        assert "short-secret-xyz" not in session

    def test_length_counts_utf8_bytes(self) -> None:
        """Eleven three-byte characters are 33 bytes, enough."""
        values = {
            "security.jwt_secret": Sourced("€" * 11, "env JWT_SECRET"),
            "security.session_secret": Sourced(GOOD_SECRET, "env SESSION_SECRET"),
            "database.url": Sourced("postgresql://x", "env DATABASE_URL"),
        }
        assert core.prod_refusals(values) == []


class TestShutdownWarning:
    def test_within_the_grace_period(self) -> None:
        """Wait plus drain up to the grace period is fine."""
        assert core.shutdown_warning(30.0, 30.0, 60.0) is None

    def test_exceeding_the_grace_period_names_the_three_values(self) -> None:
        """The warning shows each value Go-style, and their sum."""
        assert core.shutdown_warning(45.0, 30.0, 60.0) == (
            "ops.graceful_shutdown_wait_duration (45s) + ops.shutdown_timeout (30s) = 1m15s "
            "exceeds ops.termination_grace_period (1m0s): the process may be killed before it "
            "drains"
        )
