"""Alerting rules: well-formed, and built on exactly the metric names the adapters emit."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from prometheus_client import CollectorRegistry

from boundary.observability.metrics import core
from boundary.observability.metrics.shell.health import sample_health
from boundary.observability.metrics.shell.prometheus import PrometheusMetrics
from tests.support.databases import unavailable

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "monitoring" / "prometheus-rules.yml"
MONITORS = ROOT / "deploy" / "monitoring" / "datadog-monitors.json"
PROMTOOL = shutil.which("promtool")

EXPECTED_ALERTS = {
    "BoundaryHealthFailing": "critical",
    "BoundaryHighErrorRate": "critical",
    "BoundaryDatabasePoolExhausted": "critical",
    "BoundaryDatabaseUnreachable": "critical",
    "BoundaryDiskAlmostFull": "critical",
    "BoundaryHighLatencyP95": "warning",
    "BoundaryHighMemory": "warning",
    "BoundaryFailedLoginSpike": "warning",
    "BoundarySlowQueries": "warning",
    "BoundaryMailFailing": "warning",
}
# Series that come from Prometheus itself (`up`) or node_exporter, not from Boundary.
EXTERNAL_PROMETHEUS = {
    "up",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
}
EXTERNAL_DATADOG = {"system.disk.in_use", "system.mem.pct_usable"}
PROMQL_WORDS = {
    "sum",
    "rate",
    "increase",
    "by",
    "le",
    "and",
    "or",
    "histogram_quantile",
    "job",
    "check",
    "status",
    "result",
    "fstype",
}


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def emitted_prometheus_names() -> set[str]:
    """Every series name on the page after each declared metric has been used once."""
    metrics = PrometheusMetrics(CollectorRegistry())
    for spec in core.SPECS:
        tags = dict.fromkeys(spec.labels, "x")
        if spec.kind == "counter":
            metrics.increment(spec.name, tags=tags)
        elif spec.kind == "timing":
            metrics.timing(spec.name, 1.0, tags=tags)
        else:
            metrics.gauge(spec.name, 1, tags=tags)
    sample_health(metrics, [])
    page = metrics.exposition()[0].decode()
    return {line.split("{")[0].split(" ")[0] for line in page.splitlines() if line[:1].isalpha()}


def test_every_alert_is_present_with_its_severity_and_texts() -> None:
    found = {rule["alert"]: rule for rule in rules()}
    assert {name: rule["labels"]["severity"] for name, rule in found.items()} == EXPECTED_ALERTS
    for rule in found.values():
        assert rule["expr"].strip()
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["description"]


def test_rules_use_only_emitted_or_external_metric_names() -> None:
    emitted = emitted_prometheus_names()
    for rule in rules():
        expr = re.sub(r'"[^"]*"', "", rule["expr"])  # drop label values
        expr = re.sub(r"\[[0-9]+[smh]\]", "", expr)  # and range selectors
        identifiers = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", expr)) - PROMQL_WORDS
        unknown = identifiers - emitted - EXTERNAL_PROMETHEUS
        assert not unknown, f"{rule['alert']} uses metrics nobody emits: {unknown}"


def test_thresholds_match_the_runbook() -> None:
    found = {rule["alert"]: rule for rule in rules()}
    assert found["BoundaryHealthFailing"]["for"] == "2m"
    assert found["BoundaryHighErrorRate"]["for"] == "5m"
    assert "> 0.05" in found["BoundaryHighErrorRate"]["expr"]
    assert found["BoundaryHighLatencyP95"]["for"] == "10m"
    assert "> 1000" in found["BoundaryHighLatencyP95"]["expr"]
    assert (
        'auth_login_count_total{result="failure"}[5m]' in found["BoundaryFailedLoginSpike"]["expr"]
    )
    assert "> 50" in found["BoundaryFailedLoginSpike"]["expr"]
    assert 'le="5000.0"' in found["BoundarySlowQueries"]["expr"]
    assert 5000.0 in core.DURATION_BUCKETS_MS


def promtool() -> str:
    """promtool's path; skipped without it, except in CI (BOUNDARY_REQUIRE_SERVICES=1), where
    .ci/run installs it and its absence is a failure, not a quiet skip."""
    if PROMTOOL is None:
        unavailable("promtool (apt-get install prometheus)", FileNotFoundError("promtool"))
    assert PROMTOOL is not None
    return PROMTOOL


def test_promtool_accepts_the_rules() -> None:
    tool = promtool()
    result = subprocess.run(
        [tool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


PROMTOOL_TESTS = """
rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'auth_login_count_total{{result="failure",instance="a"}}'
        values: '0+11x10'
      - series: 'database_connection_pool_active{{instance="a"}}'
        values: '10x10'
      - series: 'database_connection_pool_size{{instance="a"}}'
        values: '10x10'
      - series: 'application_health_check{{check="database",instance="a"}}'
        values: '1 0x10'
      - series: 'database_query_duration_count{{operation="select",instance="a"}}'
        values: '0 5 10 15 20 25'
      - series: 'database_query_duration_bucket{{le="5000.0",operation="select",instance="a"}}'
        values: '0 5 10 14 18 22'
    alert_rule_test:
      - eval_time: 6m
        alertname: BoundaryFailedLoginSpike
        exp_alerts:
          - exp_labels: {{severity: warning}}
            exp_annotations:
              summary: More than 50 failed logins in 5 minutes
              description: "55 failed logins in 5 minutes: possible credential stuffing."
      - eval_time: 3m
        alertname: BoundaryDatabasePoolExhausted
        exp_alerts:
          - exp_labels: {{severity: critical, instance: a}}
            exp_annotations:
              summary: Database connection pool exhausted on a
              description: >-
                Every pooled connection is checked out; requests wait for
                DATABASE_POOL_TIMEOUT.
      - eval_time: 3m
        alertname: BoundaryDatabaseUnreachable
        exp_alerts:
          - exp_labels: {{severity: critical, instance: a, check: database}}
            exp_annotations:
              summary: Boundary cannot reach its database (a)
              description: The database health check has failed for 1 minute.
      - eval_time: 5m
        alertname: BoundarySlowQueries
        exp_alerts:
          - exp_labels: {{severity: warning}}
            exp_annotations:
              summary: Database queries slower than 5 s
              description: 3 queries took longer than 5000 ms in the last 5 minutes.
      - eval_time: 2m
        alertname: BoundaryHealthFailing
        exp_alerts: []
"""


def test_rules_fire_on_the_series_the_adapters_write(tmp_path: Path) -> None:
    """promtool's rule unit tests: each alert fires on the names and labels we emit."""
    tool = promtool()
    tests = tmp_path / "rules_test.yml"
    tests.write_text(PROMTOOL_TESTS.format(rules=json.dumps(str(RULES))))
    result = subprocess.run(
        [tool, "test", "rules", str(tests)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def monitors() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(MONITORS.read_text())
    return loaded


def test_datadog_monitors_mirror_the_rules_with_dogstatsd_names() -> None:
    known = {spec.name for spec in core.SPECS} | EXTERNAL_DATADOG
    found = monitors()
    assert len(found) == len(EXPECTED_ALERTS)
    severities = sorted(
        tag.split(":")[1] for monitor in found for tag in monitor["tags"] if "severity:" in tag
    )
    assert severities == sorted(EXPECTED_ALERTS.values())
    for monitor in found:
        assert monitor["type"] == "query alert"
        assert monitor["message"]
        names = set(re.findall(r"(?:sum|max|min|avg|p95):([a-z_.]+)\{", monitor["query"]))
        assert names, monitor["name"]
        assert names <= known, f"{monitor['name']}: unknown metrics {names - known}"
        threshold = monitor["options"]["thresholds"]["critical"]
        assert monitor["query"].rstrip().endswith(str(threshold))
