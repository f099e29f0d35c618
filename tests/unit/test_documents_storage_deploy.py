"""compose.yaml and deploy/k8s keep registration documents in an S3-compatible store, never in a container's
folder (lost with it): the settings the registration service reads (services/registration/settings.py), the
keys from secrets only, and the bucket made before the service starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from deploy.k8s.render import build
from services.registration.settings import RegistrationSettings

ROOT = Path(__file__).resolve().parents[2]
S3_KEYS = {"REGISTRATION_S3_ACCESS_KEY_ID", "REGISTRATION_S3_SECRET_ACCESS_KEY"}
S3_CONFIG = {"REGISTRATION_DOCUMENTS_STORAGE", "REGISTRATION_S3_ENDPOINT_URL", "REGISTRATION_S3_BUCKET",
             "REGISTRATION_S3_REGION"}


def known_settings() -> set[str]:
    """What registration's own settings read, and the two the shared settings read under its prefix (its database,
    the address other services call it at): a misspelt setting would be ignored silently."""
    own = {f"REGISTRATION_{name.upper()}" for name in RegistrationSettings.model_fields}
    return own | {"REGISTRATION_DATABASE_URL", "REGISTRATION_URL"}


def test_compose_runs_registration_on_the_minio_bucket_made_by_a_one_shot_job() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    registration = services["registration"]
    env: dict[str, Any] = registration["environment"]
    assert env["REGISTRATION_DOCUMENTS_STORAGE"] == "s3"
    assert env["REGISTRATION_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert S3_CONFIG | S3_KEYS <= set(env)
    assert {k for k in env if k.startswith("REGISTRATION_")} <= known_settings()
    assert "${REGISTRATION_S3_SECRET_ACCESS_KEY:?" in env["REGISTRATION_S3_SECRET_ACCESS_KEY"]  # no default secret
    assert registration["depends_on"]["documents-bucket"] == {"condition": "service_completed_successfully"}
    bucket = services["documents-bucket"]
    assert bucket["restart"] == "no" and bucket["depends_on"]["minio"]["condition"] == "service_healthy"
    script = bucket["command"][0]
    assert "mc mb --ignore-existing" in script and "mc admin user add" in script
    assert bucket["environment"]["BUCKET"] == env["REGISTRATION_S3_BUCKET"]
    assert "minio-data:/data" in services["minio"]["volumes"]


def test_kubernetes_gives_registration_the_store_in_config_and_its_keys_from_a_secret() -> None:
    for overlay in ("base", "production"):
        objects = build(ROOT / "deploy" / "k8s" / overlay)
        [config] = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "hangviet-config"]
        assert S3_CONFIG <= set(config["data"]) and config["data"]["REGISTRATION_DOCUMENTS_STORAGE"] == "s3"
        assert {k for k in config["data"] if k.startswith("REGISTRATION_")} <= known_settings()
        [deployment] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "registration"]
        spec = deployment["spec"]["template"]["spec"]
        for container in spec["initContainers"] + spec["containers"]:
            secrets = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
                       for e in container["env"] if e["name"] in S3_KEYS}
            assert secrets == dict.fromkeys(S3_KEYS, "hangviet-registration-s3")
        assert deployment["spec"]["template"]["metadata"]["labels"]["hangviet.vn/s3"] == "true"
        others = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] != "registration"]
        assert not any("hangviet.vn/s3" in o["spec"]["template"]["metadata"]["labels"] for o in others)
