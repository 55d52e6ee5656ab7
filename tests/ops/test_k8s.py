"""deploy/k8s (issue #7 item 3): validated against the Kubernetes OpenAPI schemas
(kubernetes-validate, offline, strict) and checked for what the contract promises: 3 replicas,
maxUnavailable 0, probes on the ops port, a grace period covering wait + drain, the guide's
resources, secrets from the Secret, the migration Job's command, PDB and HPA wiring."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.dockerfile import parse
from tests.ops.envfiles import config_check, seconds
from tests.ops.tools import tool

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
FILES = sorted(K8S.glob("*.yaml"))
OPS_PORT = 9203
API_PORT = 3000

Doc = dict[str, Any]


def documents() -> list[Doc]:
    docs: list[Doc] = []
    for path in FILES:
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def one(kind: str, name: str | None = None) -> Doc:
    found = [
        d
        for d in documents()
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def container(workload: Doc) -> Doc:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def port_number(c: Doc, port: int | str) -> int:
    if isinstance(port, int):
        return port
    [number] = [p["containerPort"] for p in c["ports"] if p.get("name") == port]
    return int(number)


def env_from_config_map(workload: Doc) -> dict[str, str]:
    c = container(workload)
    names = [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
    values: dict[str, str] = {}
    for name in names:
        values.update(one("ConfigMap", name)["data"])
    values.update({e["name"]: e["value"] for e in c.get("env", []) if "value" in e})
    return values


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_manifest_matches_kubernetes_schema(path: Path) -> None:
    validate = tool("kubernetes-validate")
    proc = subprocess.run(
        [validate, "--strict", "--no-warn", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed" in proc.stdout


def test_every_object_has_api_version_kind_and_namespace() -> None:
    kinds = set()
    for doc in documents():
        assert doc.get("apiVersion"), doc
        kinds.add(doc["kind"])
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "production", doc["metadata"]
    expected = {"Deployment", "Service", "Secret", "Job", "PodDisruptionBudget"}
    assert expected | {"HorizontalPodAutoscaler"} <= kinds


def test_deployment_replicas_and_rolling_update() -> None:
    deployment = one("Deployment", "boundary-api")
    spec = deployment["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["strategy"]["rollingUpdate"]["maxSurge"] >= 1
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()


def test_probes_use_the_ops_listener() -> None:
    c = container(one("Deployment", "boundary-api"))
    expected = {
        "startupProbe": "/health/live",
        "livenessProbe": "/health/live",
        "readinessProbe": "/health/ready",
    }
    for probe, path in expected.items():
        get = c[probe]["httpGet"]
        assert get["path"] == path, probe
        assert port_number(c, get["port"]) == OPS_PORT, probe
    ports = {p["containerPort"] for p in c["ports"]}
    assert ports == {API_PORT, OPS_PORT}
    config = env_from_config_map(one("Deployment", "boundary-api"))
    assert config["OPS_PORT"] == str(OPS_PORT)
    assert config["PORT"] == str(API_PORT)


def test_grace_period_covers_wait_plus_drain_with_the_arithmetic_beside_it() -> None:
    deployment = one("Deployment", "boundary-api")
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    config = env_from_config_map(deployment)
    wait = seconds(config["GRACEFUL_SHUTDOWN_WAIT_DURATION"])
    drain = seconds(config.get("BOUNDARY_OPS__SHUTDOWN_TIMEOUT", "30s"))
    assert grace >= wait + drain + 5, f"{grace}s < wait {wait}s + drain {drain}s + 5s close"
    # The config's own check uses termination_grace_period: it must be the pod's value.
    assert seconds(config["BOUNDARY_OPS__TERMINATION_GRACE_PERIOD"]) == grace
    text = (K8S / "deployment.yaml").read_text()
    arithmetic = text[: text.index("terminationGracePeriodSeconds:")]
    assert re.search(rf"GRACEFUL_SHUTDOWN_WAIT_DURATION\s+{wait:.0f}s", arithmetic)
    assert re.search(rf"{drain:.0f}s\s+in-flight", arithmetic)


def test_resources_are_the_guides() -> None:
    resources = container(one("Deployment", "boundary-api"))["resources"]
    assert resources["requests"] == {"memory": "512Mi", "cpu": "250m"}
    assert resources["limits"] == {"memory": "2Gi", "cpu": "1000m"}


def _secret_refs(workload: Doc) -> dict[str, tuple[str, str]]:
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in container(workload).get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


@pytest.mark.parametrize(("kind", "name"), [("Deployment", "boundary-api"), ("Job", None)])
def test_secrets_come_from_the_secret(kind: str, name: str | None) -> None:
    workload = one(kind, name)
    refs = _secret_refs(workload)
    assert {"DATABASE_URL", "JWT_SECRET", "SESSION_SECRET"} <= refs.keys()
    secret = one("Secret", "boundary-secrets")
    for secret_name, key in refs.values():
        assert secret_name == "boundary-secrets"
        assert key in secret["stringData"], key
    config = env_from_config_map(workload)
    for leaked in ("DATABASE_URL", "JWT_SECRET", "SESSION_SECRET", "JWT_PREVIOUS_SECRETS"):
        assert leaked not in config, f"{leaked} must come from the Secret, not plain env"


def test_migration_job_runs_boundary_migrate_migrate() -> None:
    job = one("Job")
    c = container(job)
    assert c["command"] == ["boundary", "migrate", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"Never", "OnFailure"}
    assert c["image"] == container(one("Deployment"))["image"]


def test_pod_disruption_budget_and_autoscaler_target_the_deployment() -> None:
    deployment = one("Deployment", "boundary-api")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    pdb = one("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert 0 < pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    hpa = one("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "boundary-api")
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


def test_services_select_the_pods_and_reach_both_listeners() -> None:
    deployment = one("Deployment", "boundary-api")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    c = container(deployment)
    targets = set()
    for service in [d for d in documents() if d["kind"] == "Service"]:
        assert service["spec"]["selector"].items() <= labels.items()
        targets |= {port_number(c, p["targetPort"]) for p in service["spec"]["ports"]}
    assert targets == {API_PORT, OPS_PORT}


def test_pod_user_is_the_images_user() -> None:
    final = parse(ROOT / "Dockerfile")[1][-1]
    user = final.last("USER")
    assert user is not None
    uid = int(user.args.split(":")[0])
    for workload in (one("Deployment"), one("Job")):
        context = workload["spec"]["template"]["spec"]["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == uid


def test_config_map_and_secret_pass_config_check() -> None:
    """What the pods get (ConfigMap + Secret, real secrets filled in) is a valid prod config."""
    deployment = one("Deployment", "boundary-api")
    env = env_from_config_map(deployment)
    env.pop("DATADOG_STATSD_HOST", None)
    secret = one("Secret", "boundary-secrets")["stringData"]
    for name, (_, key) in _secret_refs(deployment).items():
        env[name] = secret[key]
    env["JWT_SECRET"] = "a" * 64
    env["SESSION_SECRET"] = "b" * 64
    proc = config_check(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr
