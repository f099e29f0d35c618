"""Render deploy/k8s (base and production) and validate every object offline; run by `make lint`.

Kubernetes objects against the API schemas of kubernetes-validate (strict: unknown fields refused) for the
oldest and the newest cluster version we support; KEDA ScaledObjects, a CRD it has no schema for, against
schemas/scaledobject.schema.json, written from KEDA's documented fields.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

from deploy.k8s.render import build

HERE = Path(__file__).resolve().parent
OVERLAYS = ("base", "production")
KUBERNETES_VERSIONS = ("1.35.0", "1.37.0")
CRD_SCHEMAS = {("keda.sh/v1alpha1", "ScaledObject"): HERE / "schemas" / "scaledobject.schema.json"}


def errors_of(obj: dict[str, Any]) -> list[str]:
    """What is wrong with one rendered object, empty when it is valid."""
    schema_path = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
    if schema_path is not None:
        validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text()))
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    found = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            found.append(f"{version}: {'/'.join(map(str, exc.path))}: {exc.message}")
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
