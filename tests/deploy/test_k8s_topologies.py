"""One kustomize component per egress topology, and the router's egress port from configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.deploy.k8s_manifests import K8S, Obj, config, containers, named, render

ROUTER = "order-router"


def router_container(objects: list[Obj]) -> Obj:
    return next(c.spec for c in containers(objects) if c.spec["name"] == ROUTER)


def proxy_ports(objects: list[Obj]) -> list[object]:
    policy = named(objects, "NetworkPolicy", "order-router-egress-ibkr")
    return [port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]]


@pytest.mark.parametrize(
    ("target", "api"),
    [
        ("overlays/paper", "socket"),
        ("examples/paper-webapi-shield", "webapi"),
        ("examples/paper-cpgateway", "cpgateway"),
    ],
)
def test_each_topology_configures_the_router_and_the_keeper_alike(target: str, api: str) -> None:
    objects = render(target)
    assert config(objects, "sluice-common")["IBKR_API"] == api
    assert "IBKR_API" not in config(objects, ROUTER)  # one value, read by router and keeper


def test_webapi_mounts_the_oauth_secret_read_only_where_the_router_reads_it() -> None:
    objects = render("examples/paper-webapi-shield")
    folder = config(objects, ROUTER)["IBKR_OAUTH_DIR"]
    router = router_container(objects)
    (mount,) = [m for m in router["volumeMounts"] if m["mountPath"] == folder]
    assert mount["readOnly"] is True
    pod = named(objects, "Deployment", ROUTER)["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "ibkr-oauth"
    proxy = next(e for e in router["env"] if e["name"] == "QUOTAGUARDSHIELD_URL")
    assert proxy["valueFrom"]["secretKeyRef"] == {
        "name": "ibkr-credentials", "key": "QUOTAGUARDSHIELD_URL", "optional": False,
    }  # fmt: skip
    assert not [c for c in containers(objects) if c.spec["name"] in ("ib-gateway", "client-portal")]


def test_cpgateway_runs_the_gateway_beside_the_router_and_never_a_proxy() -> None:
    objects = render("examples/paper-cpgateway")
    router_cfg = config(objects, ROUTER)
    assert router_cfg["IBKR_CP_BASE_URL"].startswith("https://localhost:5000/")
    (gateway,) = [c for c in containers(objects) if c.spec["name"] == "client-portal"]
    assert gateway.deployment == ROUTER and gateway.is_sidecar


@pytest.mark.parametrize("target", ["overlays/paper", "examples/paper-webapi-shield"])
def test_the_proxy_port_defaults_to_shields(target: str) -> None:
    objects = render(target)
    assert config(objects, ROUTER)["SLUICE_EGRESS_PROXY_PORT"] == "9293"
    assert 9293 in proxy_ports(objects)
    assert 1080 not in proxy_ports(objects)


@pytest.mark.parametrize("component", ["webapi", "cpgateway", "socket"])
def test_the_egress_policy_port_follows_the_configured_value(
    tmp_path: Path, component: str
) -> None:
    def relative(path: Path) -> str:  # kustomize refuses absolute roots
        return os.path.relpath(path, tmp_path)

    (tmp_path / "kustomization.yaml").write_text(
        f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [{relative(K8S / "base")}]
components: [{relative(K8S / "components" / component)}]
configMapGenerator:
  - name: order-router
    behavior: merge
    literals: [SLUICE_EGRESS_PROXY_PORT=1080]
"""
    )
    objects = render(str(tmp_path))
    assert proxy_ports(objects)[-1] == 1080
    assert 9293 not in proxy_ports(objects)
