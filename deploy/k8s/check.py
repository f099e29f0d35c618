"""Render deploy/k8s (base and production) and validate every object offline; run by `make lint`.

Kubernetes objects against the API schemas of kubernetes-validate (strict: unknown fields refused) for the
oldest and the newest cluster version we support; KEDA ScaledObjects, a CRD it has no schema for, against
schemas/scaledobject.schema.json, written from KEDA's documented fields.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import all_versions, major_minor, schema_contents
from referencing import Registry, Resource

from deploy.k8s.render import build

HERE = Path(__file__).resolve().parent
OVERLAYS = ("base", "production")
KUBERNETES_VERSIONS = ("1.35.0", "1.37.0")
CRD_SCHEMAS = {("keda.sh/v1alpha1", "ScaledObject"): HERE / "schemas" / "scaledobject.schema.json"}


@functools.cache
def _crd_validator(schema_path: Path) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_path.read_text()))


@functools.cache
def _definitions(schema_dir: str, version: str) -> Any:
    return schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", version)


@functools.cache
def _kubernetes_validator(api_version: str, kind: str, version: str) -> jsonschema.Draft202012Validator:
    """kubernetes_validate.validate(..., strict=True)'s validator, built once per kind and version (it reads
    the ~3 MB definitions file again for every object: 16 s for the two overlays, now under one)."""
    schema_version = [v for v in all_versions() if major_minor(v) <= major_minor(version)][-1]
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema_dir = f"v{schema_version}-local-strict"
    try:
        schema = schema_contents(f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(version=major_minor(version), kind=kind,
                                                      api_version=api_version) from None
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_definitions(schema_dir, version)) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def errors_of(obj: dict[str, Any]) -> list[str]:
    """What is wrong with one rendered object, empty when it is valid."""
    schema_path = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
    if schema_path is not None:
        validator = _crd_validator(schema_path)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    found = []
    for version in KUBERNETES_VERSIONS:
        error = jsonschema.exceptions.best_match(
            _kubernetes_validator(obj["apiVersion"], obj["kind"], version).iter_errors(obj))
        if error is not None:
            found.append(f"{version}: {'/'.join(map(str, error.path))}: {error.message}")
    return found


def main() -> int:
    """Exit non-zero when an overlay does not render or an object is invalid."""
    failures = 0
    for overlay in OVERLAYS:
        objects = build(HERE / overlay)
        for obj in objects:
            for error in errors_of(obj):
                failures += 1
                sys.stderr.write(f"deploy/k8s/{overlay}: {obj['kind']}/{obj['metadata']['name']}: {error}\n")
        sys.stdout.write(f"deploy/k8s/{overlay}: {len(objects)} objects rendered\n")
    if failures:
        return 1
    sys.stdout.write(f"deploy/k8s: valid for Kubernetes {', '.join(KUBERNETES_VERSIONS)} and KEDA's ScaledObject\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
