"""The deployment facts Sluice's safety rests on, read from the rendered overlays."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.deploy.k8s_manifests import (
    Obj,
    config,
    containers,
    egress_rules,
    named,
    of_kind,
    render,
)

OVERLAYS = [
    "overlays/paper",
    "overlays/live",
    "examples/paper-webapi-shield",
    "examples/paper-cpgateway",
]
ROUTER = "order-router"
# (destination namespace, port): where every pod may go. Anything else is "beyond".
BASELINE = {("kube-system", 53), ("kafka", 9092), ("observability", 4317), ("observability", 4318)}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|QUOTAGUARD|PROXY_URL|CREDENTIAL", re.IGNORECASE)
PROXY_VARIABLES = {"QUOTAGUARDSHIELD_URL", "SLUICE_EGRESS_PROXY_URL"}
PLACEHOLDERS = {"", "change-me"}


@pytest.fixture(params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[Obj]:
    rendered: list[Obj] = render(request.param)
    return rendered


def pod_labels(deployment: Obj) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def is_baseline(rule: Obj) -> bool:
    """True when the rule only opens DNS, Kafka or the OTel collector (explicit peers, ports)."""
    peers, ports = rule.get("to"), rule.get("ports")
    if not peers or not ports:  # no peers / no ports = anywhere / any port
        return False
    for peer in peers:
        if "ipBlock" in peer or "namespaceSelector" not in peer:
            return False
        namespace = peer["namespaceSelector"].get("matchLabels", {})
        name = namespace.get("kubernetes.io/metadata.name")
        if any((name, port.get("port")) not in BASELINE for port in ports):
            return False
    return True


def test_egress_is_denied_by_default_for_every_pod(objects: list[Obj]) -> None:
    deny_all = [
        p
        for p in of_kind(objects, "NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and p["spec"]["policyTypes"] == ["Egress"]
        and not p["spec"].get("egress")
    ]
    assert len(deny_all) == 1


def test_only_router_pods_have_egress_beyond_kafka_otel_and_dns(objects: list[Obj]) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    beyond = {
        d["metadata"]["name"]
        for d in of_kind(objects, "Deployment")
        if not all(is_baseline(rule) for rule in egress_rules(policies, pod_labels(d)))
    }
    assert beyond == {ROUTER}


def test_every_pod_reaches_dns_kafka_and_the_collector(objects: list[Obj]) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    for deployment in of_kind(objects, "Deployment"):
        reachable = {
            (peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], port["port"])
            for rule in egress_rules(policies, pod_labels(deployment))
            if is_baseline(rule)
            for peer in rule["to"]
            for port in rule["ports"]
        }
        assert reachable == BASELINE, deployment["metadata"]["name"]


def test_router_egress_never_opens_cluster_or_metadata_ranges(objects: list[Obj]) -> None:
    policies = of_kind(objects, "NetworkPolicy")
    router = named(objects, "Deployment", ROUTER)
    blocks = [
        peer["ipBlock"]
        for rule in egress_rules(policies, pod_labels(router))
        for peer in rule.get("to", [])
        if "ipBlock" in peer
    ]
    assert blocks
    for block in blocks:
        assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(
            block.get("except", [])
        )


@pytest.mark.parametrize(
    ("overlay", "mode", "port", "account_prefix", "namespace"),
    [
        ("overlays/paper", "paper", 4002, "DU", "sluice-paper"),
        ("overlays/live", "live", 4001, "U", "sluice-live"),
    ],
)
def test_overlay_mode_ports_and_account_agree(
    overlay: str, mode: str, port: int, account_prefix: str, namespace: str
) -> None:
    objects = render(overlay)
    common, router_cfg = config(objects, "sluice-common"), config(objects, "order-router")
    assert common["TRADING_MODE"] == mode
    assert common["IBKR_ACCOUNT"].startswith(account_prefix)
    assert not (mode == "live" and common["IBKR_ACCOUNT"].startswith("DU"))
    assert router_cfg["IBKR_PORT"] == str(port)
    assert router_cfg["IBKR_HOST"] == "127.0.0.1"
    assert (router_cfg.get("SLUICE_ENABLE_LIVE") == "1") == (mode == "live")
    gateway = next(c for c in containers(objects) if c.spec["name"] == "ib-gateway")
    assert gateway.deployment == ROUTER and gateway.is_sidecar
    assert [p["containerPort"] for p in gateway.spec["ports"]] == [port]
    mode_ref = next(e for e in gateway.spec["env"] if e["name"] == "TRADING_MODE")
    assert mode_ref["valueFrom"]["configMapKeyRef"]["name"].startswith("sluice-common-")
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {
        namespace
    }


def test_router_keeper_and_risk_are_single_and_never_overlap(objects: list[Obj]) -> None:
    for name in (ROUTER, "session-keeper", "risk"):
        spec = named(objects, "Deployment", name)["spec"]
        assert spec["replicas"] == 1
        assert spec["strategy"] == {"type": "Recreate"}


def test_gateways_run_only_beside_the_router(objects: list[Obj]) -> None:
    images = ("ib-gateway", "ibeam")
    beside = {
        c.deployment for c in containers(objects) if any(i in c.spec["image"] for i in images)
    }
    assert beside <= {ROUTER}


def test_no_secret_values_in_plain_manifests(objects: list[Obj]) -> None:
    for cm in of_kind(objects, "ConfigMap"):
        for key, value in cm["data"].items():
            assert not SECRET_NAME.search(key), f"{cm['metadata']['name']}: {key}"
            assert not re.search(r"://[^/\s]*@", value), f"credentials in URL at {key}"
    for container in containers(objects):
        for env in container.spec.get("env", []):
            if SECRET_NAME.search(env["name"]) and not env["name"].endswith("_FILE"):
                assert "secretKeyRef" in env.get("valueFrom", {}), env["name"]
    for secret in of_kind(objects, "Secret"):
        values = {base64.b64decode(v).decode() for v in secret.get("data", {}).values()}
        assert values <= PLACEHOLDERS, "a real value in a committed Secret"


def test_only_the_router_container_gets_the_proxy(objects: list[Obj]) -> None:
    holders = {
        (c.deployment, c.spec["name"])
        for c in containers(objects)
        if PROXY_VARIABLES & {e["name"] for e in c.spec.get("env", [])}
    }
    assert holders == {(ROUTER, ROUTER)}
    assert not any(PROXY_VARIABLES & cm["data"].keys() for cm in of_kind(objects, "ConfigMap"))


def security(container: Any, field: str) -> Any:
    own = container.spec.get("securityContext", {})
    return own[field] if field in own else container.pod.get("securityContext", {}).get(field)


def test_every_container_is_non_root_read_only_limited_and_probed(objects: list[Obj]) -> None:
    for c in containers(objects):
        where = f"{c.deployment}/{c.spec['name']}"
        assert security(c, "runAsNonRoot") is True, where
        assert (security(c, "runAsUser") or 0) > 0, where
        assert security(c, "readOnlyRootFilesystem") is True, where
        assert security(c, "allowPrivilegeEscalation") is False, where
        assert c.spec["securityContext"]["capabilities"]["drop"] == ["ALL"], where
        assert {"cpu", "memory"} <= c.spec["resources"]["limits"].keys(), where
        assert {"cpu", "memory"} <= c.spec["resources"]["requests"].keys(), where
        if not c.init or c.is_sidecar:  # run-to-completion init containers cannot have probes
            assert "readinessProbe" in c.spec and "livenessProbe" in c.spec, where
        mounts = {m["mountPath"] for m in c.spec.get("volumeMounts", [])}
        if not c.init:
            assert "/tmp" in mounts, where


def test_sluice_services_probe_readyz_and_healthz(objects: list[Obj]) -> None:
    for c in containers(objects):
        if c.init:
            continue
        assert c.spec["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert c.spec["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_no_service_account_token_is_mounted(objects: list[Obj]) -> None:
    accounts = of_kind(objects, "ServiceAccount")
    assert len(accounts) == 4
    assert all(sa["automountServiceAccountToken"] is False for sa in accounts)
    for deployment in of_kind(objects, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"] == deployment["metadata"]["name"]


def test_namespace_enforces_restricted_pod_security(objects: list[Obj]) -> None:
    (namespace,) = of_kind(objects, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_live_drains_wait_for_an_operator() -> None:
    budget = named(render("overlays/live"), "PodDisruptionBudget", ROUTER)
    assert budget["spec"]["maxUnavailable"] == 0
    assert not [
        p
        for p in of_kind(render("overlays/paper"), "PodDisruptionBudget")
        if p["metadata"]["name"] == ROUTER
    ]


@pytest.mark.parametrize("example", ["live-static-egress-nat", "live-static-egress-cilium"])
def test_static_egress_applies_to_the_router_only(example: str) -> None:
    objects = render(f"examples/{example}")
    expected_ip = config(objects, "order-router")["SLUICE_EXPECTED_EGRESS_IP"]
    pinned = {
        d["metadata"]["name"]
        for d in of_kind(objects, "Deployment")
        if d["spec"]["template"]["spec"].get("nodeSelector")
    }
    if example.endswith("nat"):
        assert pinned == {ROUTER}
        return
    assert pinned == set()
    (policy,) = of_kind(objects, "CiliumEgressGatewayPolicy")
    assert policy["spec"]["egressGateway"]["egressIP"] == expected_ip
    (selector,) = policy["spec"]["selectors"]
    selected = {
        d["metadata"]["name"]
        for d in of_kind(objects, "Deployment")
        if all(
            pod_labels(d).get(k) == v
            for k, v in selector["podSelector"]["matchLabels"].items()
            if not k.startswith("io.kubernetes.pod.")
        )
    }
    assert selected == {ROUTER}
    namespace = selector["podSelector"]["matchLabels"]["io.kubernetes.pod.namespace"]
    assert namespace == named(objects, "Deployment", ROUTER)["metadata"]["namespace"]
