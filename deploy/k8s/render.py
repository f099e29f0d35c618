"""`kustomize build` of deploy/k8s in Python, for exactly the features its kustomizations use.

Hand-written because CI has no kustomize binary and no Python kustomize library runs on Python 3.11; the
kustomization files stay standard, so `kubectl kustomize deploy/k8s/production` gives the same objects
(tests/unit/test_k8s_manifests.py compares the two where kubectl is installed). Anything else is refused.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

KNOWN_FIELDS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
                  "StorageClass", "PersistentVolume"}
# kustomize's legacy output order (api/resid/gvk.go): these kinds first, in this order, then the rest by
# group_version_kind, then these last; within a kind, by namespace and name.
ORDER_FIRST = ["Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
               "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret",
               "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
               "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget"]
ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]


def build(directory: Path) -> list[Obj]:
    """The objects `kustomize build <directory>` prints, in its order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_FIELDS
    if unknown:
        raise ValueError(f"{directory}: kustomization fields this renderer does not implement: {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects.extend(build(path) if path.is_dir() else load(path))
    for patch in kustomization.get("patches", []):
        apply_patch(objects, directory, patch)
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    for entry in kustomization.get("labels", []):
        if entry.get("includeSelectors") or entry.get("includeTemplates") or entry.get("fields"):
            raise ValueError("labels: only metadata labels (no includeSelectors, includeTemplates, fields)")
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(entry["pairs"])
    for image in kustomization.get("images", []):
        for obj in objects:
            set_image(obj, image)
    return sorted(objects, key=order)


def load(path: Path) -> list[Obj]:
    """The YAML documents of a file, empty ones left out."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def order(obj: Obj) -> tuple[int, str, str, str]:
    """Sort key of kustomize's legacy order."""
    kind = obj["kind"]
    if kind in ORDER_FIRST:
        rank = ORDER_FIRST.index(kind) - len(ORDER_FIRST)
    else:
        rank = ORDER_LAST.index(kind) + 1 if kind in ORDER_LAST else 0
    group, _, version = obj["apiVersion"].rpartition("/")
    gvk = "_".join([group or "~G", version, kind])
    return rank, gvk, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def apply_patch(objects: list[Obj], directory: Path, entry: Obj) -> None:
    """A `patches:` entry from a file: a JSON 6902 list on its target, or a strategic-merge object."""
    if set(entry) - {"path", "target"}:
        raise ValueError(f"patches: only path and target are implemented, not {sorted(entry)}")
    body = yaml.safe_load((directory / entry["path"]).read_text())
    target = entry.get("target")
    if isinstance(body, list):
        if target is None:
            raise ValueError(f"{entry['path']}: a JSON 6902 patch needs a target")
        for obj in matching(objects, target):
            for operation in body:
                json6902(obj, operation)
        return
    target = target or {"kind": body["kind"], "name": body["metadata"]["name"]}
    found = matching(objects, target)
    if not found:
        raise ValueError(f"{entry['path']}: no object matches {target}")
    for obj in found:
        strategic_merge(obj, body)


def matching(objects: list[Obj], target: Obj) -> list[Obj]:
    """Objects a patch target selects (kind and name; the name as kustomize's anchored regular expression)."""
    if set(target) - {"kind", "name"}:
        raise ValueError(f"patch target: only kind and name are implemented, not {sorted(target)}")
    return [obj for obj in objects
            if obj["kind"] == target.get("kind", obj["kind"])
            and re.fullmatch(target.get("name", ".*"), obj["metadata"]["name"])]


def strategic_merge(obj: Obj, patch: Obj) -> None:
    """Maps merged key by key, null deletes; a list of objects (merge keys) is refused, other lists replaced."""
    for key, value in patch.items():
        if value is None:
            obj.pop(key, None)
        elif isinstance(value, dict) and isinstance(obj.get(key), dict):
            strategic_merge(obj[key], value)
        elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
            raise ValueError(f"strategic merge of the list {key!r}: merge keys are not implemented, use JSON 6902")
        else:
            obj[key] = copy.deepcopy(value)


def json6902(obj: Obj, operation: Obj) -> None:
    """One add, replace or remove operation (RFC 6902)."""
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            node[index] = copy.deepcopy(operation["value"])
        elif op == "remove":
            del node[index]
        else:
            raise ValueError(f"JSON 6902 operation {op!r} is not implemented")
    elif op in ("add", "replace"):
        if op == "replace" and last not in node:
            raise ValueError(f"JSON 6902 replace of a missing path {operation['path']}")
        node[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del node[last]
    else:
        raise ValueError(f"JSON 6902 operation {op!r} is not implemented")


def set_image(node: Any, image: Obj) -> None:
    """kustomize's `images:` on every container and initContainer under `node`."""
    if isinstance(node, list):
        for item in node:
            set_image(item, image)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("containers", "initContainers") and isinstance(value, list):
            for container in value:
                container["image"] = renamed(container["image"], image)
        set_image(value, image)


def renamed(reference: str, image: Obj) -> str:
    """An image reference with `image`'s newName / newTag, when its name is `image['name']`."""
    name, at, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = (at + digest) if at else (name[colon:] if colon > slash else "")
    name = name[:colon] if colon > slash else name
    if name != image["name"]:
        return reference
    if "digest" in image:
        tag = "@" + image["digest"]
    elif "newTag" in image:
        tag = ":" + str(image["newTag"])
    return image.get("newName", name) + tag


class _Dumper(yaml.SafeDumper):
    """PyYAML's block style with kustomize's quoting: double quotes where a plain scalar would not do."""

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def dump(objects: list[Obj]) -> str:
    """The objects as one multi-document YAML stream, as `kustomize build` prints them."""
    return yaml.dump_all(objects, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=10_000)


if __name__ == "__main__":
    sys.stdout.write(dump(build(Path(sys.argv[1] if len(sys.argv) > 1 else "deploy/k8s/production"))))
