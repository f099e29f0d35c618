"""What only the registration service reads from its environment (the shared `Settings` carry the rest)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.registration.domain.documents import DEFAULT_MAX_DOCUMENT_BYTES
from services.registration.domain.fairs import DEFAULT_MAX_FAIR_DAYS


class RegistrationSettings(BaseSettings):
    """`REGISTRATION_MAX_FAIR_DAYS`: the longest a fair may last, first and last day counted (default 30).

    Documents attached to registrations: `REGISTRATION_DOCUMENTS_MAX_BYTES` (default 10 MiB) and where their files
    live, `REGISTRATION_DOCUMENTS_STORAGE`: `folder` (default; `REGISTRATION_DOCUMENTS_DIR`, else `documents` under
    `HANGVIET_VAR_DIR`) or `s3`, any S3-compatible store: `REGISTRATION_S3_BUCKET`, `REGISTRATION_S3_ENDPOINT_URL`
    (empty: AWS itself), `REGISTRATION_S3_REGION`, `REGISTRATION_S3_ACCESS_KEY_ID`,
    `REGISTRATION_S3_SECRET_ACCESS_KEY` (empty: the usual AWS credential chain), `REGISTRATION_S3_PREFIX`.
    """

    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", env_ignore_empty=True, extra="ignore")

    max_fair_days: int = Field(default=DEFAULT_MAX_FAIR_DAYS, ge=1, le=366)
    documents_max_bytes: int = Field(default=DEFAULT_MAX_DOCUMENT_BYTES, ge=1024, le=100 * 1024 * 1024)
    documents_storage: Literal["folder", "s3"] = "folder"
    documents_dir: Path | None = Field(default=None, description="default: <HANGVIET_VAR_DIR>/documents")
    s3_bucket: str = "hangviet-documents"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = "registration/"
    # What it consumes (invoice.overdue) is off the approve → invoice path and waits days:
    # busy, its consumer polls the broker every 250 ms rather than the platform's 10 (each poll costs the service
    # and the embedded broker CPU; busy polling of the whole stack: ~39 % of a core).
    fetch_wait_ms: int = Field(default=250, ge=0, le=10_000,
                               description="the consumer's fetch wait while events flow (never below the "
                                           "platform's KAFKA_FETCH_MAX_WAIT_MS)")

    def documents_folder(self, var_dir: Path) -> Path:
        """Where the folder storage keeps files: the configured folder, else `documents` under the var dir."""
        return self.documents_dir or var_dir / "documents"
