"""The documents' S3 adapter against a real S3-compatible server process (moto's server, serving a socket bound
here): put, get, replace, delete by key, a missing key, a store that is down; then the registration service itself
configured for S3 (REGISTRATION_DOCUMENTS_STORAGE=s3): an upload lands in the bucket, is read back through the
API, and a replaced file leaves the bucket."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.registration.adapters.storage import S3Storage, StorageUnavailable, StoredFileMissing, storage_from
from services.registration.app import create_app
from services.registration.settings import RegistrationSettings
from tests.conftest import running_app
from tests.ports import listening_socket, refused_port
from tests.service.test_registration_documents import PDF, PNG
from tests.service.test_registration_support import new_exhibitor, open_fair, organizer, register

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "hangviet-test-documents"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """moto's S3-compatible server as its own process, with an empty bucket."""
    # The listening socket is made here and inherited: werkzeug (moto's server) serves a descriptor it is given
    # when told it runs under its reloader (WERKZEUG_RUN_MAIN, WERKZEUG_SERVER_FD), so the port is never let go.
    listener = listening_socket()
    port = listener.getsockname()[1]
    env = {**os.environ, "WERKZEUG_RUN_MAIN": "true", "WERKZEUG_SERVER_FD": str(listener.fileno())}
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
                               env=env, pass_fds=(listener.fileno(),), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    listener.close()  # the child holds its own copy
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        httpx.put(f"{url}/{BUCKET}").raise_for_status()  # create the bucket (path-style)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    with httpx.Client(timeout=1.0) as client:
        for _ in range(int(timeout_s / 0.1)):
            try:
                client.get(f"{url}/")
                return
            except httpx.TransportError:
                pass
            try:
                process.wait(timeout=0.1)  # the pause between polls, which also notices an early exit
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"the S3 server exited with {process.returncode}")
    raise RuntimeError("the S3 server did not start")


def objects(url: str) -> str:
    """The bucket's listing (ListObjectsV2 XML)."""
    return httpx.get(f"{url}/{BUCKET}", params={"list-type": "2"}).text


def test_the_adapter_puts_gets_replaces_and_deletes_in_a_real_s3_server(s3_url: str) -> None:
    async def scenario() -> dict[str, object]:
        store = S3Storage(bucket=BUCKET, endpoint_url=s3_url, prefix="unit/", **CREDENTIALS)
        try:
            await store.put("documents/r1/d1", PDF, media_type="application/pdf")
            first = await store.get("documents/r1/d1")
            await store.put("documents/r1/d1", PNG, media_type="image/png")
            second = await store.get("documents/r1/d1")
            listed = objects(s3_url)
            await store.delete("documents/r1/d1")
            try:
                await store.get("documents/r1/d1")
                missing = False
            except StoredFileMissing:
                missing = True
            return {"first": first, "second": second, "listed": listed, "missing": missing}
        finally:
            await store.close()

    found = asyncio.run(scenario())
    assert found["first"] == PDF and found["second"] == PNG
    assert "<Key>unit/documents/r1/d1</Key>" in str(found["listed"])
    assert found["missing"] is True
    assert "unit/documents/r1/d1" not in objects(s3_url)


def test_a_store_that_is_down_is_unavailable_not_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # One attempt: botocore's retries of a refused connection (five, with backoff: ~6 s) end in the same error.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

    async def scenario() -> None:
        with refused_port() as port:
            store = S3Storage(bucket=BUCKET, endpoint_url=f"http://127.0.0.1:{port}", **CREDENTIALS)
            try:
                await store.get("documents/r1/d1")
            finally:
                await store.close()

    with pytest.raises(StorageUnavailable):
        asyncio.run(scenario())


async def test_the_registration_service_keeps_documents_in_s3_when_configured(s3_url: str, settings_for,
                                                                             monkeypatch) -> None:
    for name, value in {"REGISTRATION_DOCUMENTS_STORAGE": "s3", "REGISTRATION_S3_BUCKET": BUCKET,
                        "REGISTRATION_S3_ENDPOINT_URL": s3_url, "REGISTRATION_S3_ACCESS_KEY_ID": "testing",
                        "REGISTRATION_S3_SECRET_ACCESS_KEY": "testing", "REGISTRATION_S3_PREFIX": "svc/"}.items():
        monkeypatch.setenv(name, value)
    settings = settings_for("registration")
    assert type(storage_from(RegistrationSettings(), settings.var_dir)).__name__ == "S3Storage"
    app = create_app(settings)
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app))
        headers, _ = await new_exhibitor(client, app)
        reg = await register(client, fair["id"], headers)
        url = f"/registrations/{reg['id']}/documents/business_registration"
        first = await client.put(url, headers=headers, params={"filename": "gcn.pdf"}, content=PDF)
        stored_first = objects(s3_url)
        second = await client.put(url, headers=headers, params={"filename": "gcn.png"}, content=PNG)
        read = await client.get(f"/registrations/{reg['id']}/documents/{second.json()['id']}/file",
                                headers=organizer(app))
    assert (first.status_code, second.status_code) == (201, 200), (first.text, second.text)
    assert f"<Key>svc/documents/{reg['id']}/" in stored_first
    assert read.status_code == 200 and read.content == PNG
    listing = objects(s3_url)
    assert listing.count(f"svc/documents/{reg['id']}/") == 1  # the replaced file left the bucket
    assert not list(Path(settings.var_dir).glob("documents/**/*.*"))  # nothing in the folder store
