"""Rendering the kustomize targets and reading facts out of the rendered objects (pure helpers).

kubectl is not needed: the pinned kustomize binary comes from deploy/tools/install-kustomize.sh
(cached under .cache/bin), which this module runs when the binary is missing.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
INSTALLER = ROOT / "deploy" / "tools" / "install-kustomize.sh"
CACHED_KUSTOMIZE = ROOT / ".cache" / "bin" / "kustomize"

Obj = dict[str, Any]


def kustomize_binary() -> Path:
    """$KUSTOMIZE, else the cached pinned build (installed on first use), else one on PATH."""
    if explicit := os.environ.get("KUSTOMIZE"):
        return Path(explicit)
    if not CACHED_KUSTOMIZE.exists() and shutil.which("go"):
        subprocess.run([str(INSTALLER)], check=True, capture_output=True)
    if CACHED_KUSTOMIZE.exists():
        return CACHED_KUSTOMIZE
    on_path = shutil.which("kustomize")
    if on_path is None:
        raise RuntimeError(f"no kustomize: run {INSTALLER.relative_to(ROOT)} (needs Go)")
    return Path(on_path)


@functools.cache
def render(target: str) -> list[Obj]:
    """`kustomize build deploy/k8s/<target>` as a list of objects (cached: do not mutate)."""
    built = subprocess.run(
        [str(kustomize_binary()), "build", str(K8S / target)],
        check=True,
        capture_output=True,
        text=True,
    )
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    """The one object of that kind whose name is `name` (ConfigMaps: before the hash suffix)."""
    found = [
        obj
        for obj in of_kind(objects, kind)
        if obj["metadata"]["name"] == name or obj["metadata"]["name"].startswith(f"{name}-")
    ]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def config(objects: list[Obj], name: str) -> dict[str, str]:
    data: dict[str, str] = named(objects, "ConfigMap", name)["data"]
    return data


@dataclass(frozen=True)
class Container:
    """A container of a Deployment's pod template, with the pod it belongs to."""

    deployment: str
    pod: Obj
    spec: Obj
    init: bool

    @property
    def is_sidecar(self) -> bool:
        """A native sidecar: an init container that keeps running beside the main ones."""
        return self.init and self.spec.get("restartPolicy") == "Always"


def containers(objects: list[Obj]) -> Iterator[Container]:
    for deployment in of_kind(objects, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        name = deployment["metadata"]["name"]
        for spec in pod.get("initContainers", []):
            yield Container(name, pod, spec, init=True)
        for spec in pod["containers"]:
            yield Container(name, pod, spec, init=False)


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        ok = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[op]
        if not ok:
            return False
    return True


def egress_rules(policies: list[Obj], pod_labels: Mapping[str, str]) -> list[Obj]:
    """Every egress rule that allows traffic for a pod with these labels."""
    return [
        rule
        for policy in policies
        if "Egress" in policy["spec"].get("policyTypes", [])
        and selects(policy["spec"]["podSelector"], pod_labels)
        for rule in policy["spec"].get("egress", [])
    ]
