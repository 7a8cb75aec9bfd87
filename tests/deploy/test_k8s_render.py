"""Every kustomize target renders offline and validates strictly against Kubernetes' schemas."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.deploy.k8s_manifests import Obj, of_kind, render

# A recent Kubernetes release bundled in kubernetes-validate; native sidecars (initContainers
# with restartPolicy: Always) need >= 1.29.
KUBERNETES_VERSION = "1.34.0"
CILIUM_POLICY = ("cilium.io/v2", "CiliumEgressGatewayPolicy")


def validate(obj: Obj) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(
    ("target", "custom_resources"),
    [
        ("overlays/paper", set()),
        ("overlays/live", set()),
        ("examples/live-static-egress-nat", set()),
        ("examples/paper-webapi-shield", set()),
        ("examples/paper-cpgateway", set()),
        ("examples/paper-two-logins", set()),
        # Custom resources have no bundled schema; each is expected here, never skipped blindly.
        ("examples/live-static-egress-cilium", {CILIUM_POLICY}),
    ],
)
def test_target_renders_and_validates_strictly(
    target: str, custom_resources: set[tuple[str, str]]
) -> None:
    objects = render(target)
    assert of_kind(objects, "Deployment"), "rendered nothing"
    without_schema: set[tuple[str, str]] = set()
    for obj in objects:
        try:
            validate(obj)
        except kubernetes_validate.SchemaNotFoundError:
            without_schema.add((obj["apiVersion"], obj["kind"]))
    assert without_schema == custom_resources


def test_strict_validation_rejects_an_unknown_field() -> None:
    """The check has teeth: a misspelt probe field fails it."""
    deployment = copy.deepcopy(of_kind(render("overlays/paper"), "Deployment")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
