"""Several logins, one router per login (examples/paper-two-logins): the facts it rests on."""

from __future__ import annotations

from tests.deploy.k8s_manifests import Obj, containers, of_kind, render, selects

EXAMPLE = "examples/paper-two-logins"
ROUTERS = ("order-router", "order-router-login-b")


def exactly(objects: list[Obj], kind: str, name: str) -> Obj:
    """The object of that kind with exactly this name (rendered names carry their hashes)."""
    [found] = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    return found


def environment(objects: list[Obj], deployment: str) -> dict[str, str]:
    """The main container's ConfigMap environment as Kubernetes builds it (the last source
    of ``envFrom`` wins a key several name)."""
    [main] = [c for c in containers(objects) if c.deployment == deployment and not c.init]
    env: dict[str, str] = {}
    for source in main.spec.get("envFrom", []):
        name = source["configMapRef"]["name"]
        env.update(exactly(objects, "ConfigMap", name)["data"])
    return env


def accounts(value: str) -> set[str]:
    return set(value.split(","))


def test_each_login_has_one_router_with_its_own_identity_and_accounts() -> None:
    objects = render(EXAMPLE)
    deployments = {d["metadata"]["name"] for d in of_kind(objects, "Deployment")}
    assert deployments == {*ROUTERS, "risk", "session-keeper", "market-data"}
    a, b = (environment(objects, router) for router in ROUTERS)
    assert a["SLUICE_ROUTER_ID"] != b["SLUICE_ROUTER_ID"]
    assert a["IBKR_ACCOUNT"] in accounts(a["IBKR_ACCOUNTS"])
    assert b["IBKR_ACCOUNT"] in accounts(b["IBKR_ACCOUNTS"])
    assert not accounts(a["IBKR_ACCOUNTS"]) & accounts(b["IBKR_ACCOUNTS"])  # never one account
    risk = environment(objects, "risk")  # risk accepts every account of both logins
    assert accounts(risk["IBKR_ACCOUNTS"]) == accounts(a["IBKR_ACCOUNTS"]) | accounts(
        b["IBKR_ACCOUNTS"]
    )
    for router in ROUTERS:
        spec = exactly(objects, "Deployment", router)["spec"]
        assert (spec["replicas"], spec["strategy"]) == (1, {"type": "Recreate"})


def test_each_router_has_its_own_gateway_credentials_and_service() -> None:
    objects = render(EXAMPLE)
    secrets: dict[str, set[str]] = {}
    for container in containers(objects):
        if container.deployment in ROUTERS:
            refs = secrets.setdefault(container.deployment, set())
            for env in container.spec.get("env", []):
                if ref := env.get("valueFrom", {}).get("secretKeyRef"):
                    refs.add(ref["name"])
    assert secrets["order-router"] == {"ibkr-credentials"}
    assert secrets["order-router-login-b"] == {"ibkr-credentials-login-b"}
    gateways = {c.deployment for c in containers(objects) if "ib-gateway" in c.spec["image"]}
    assert gateways == set(ROUTERS)
    for router in ROUTERS:
        service = exactly(objects, "Service", router)["spec"]["selector"]
        chosen = {
            d["metadata"]["name"]
            for d in of_kind(objects, "Deployment")
            if selects({"matchLabels": service}, d["spec"]["template"]["metadata"]["labels"])
        }
        assert chosen == {router}
