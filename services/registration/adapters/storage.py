"""The storage port of registration documents: `put`, `get` and `delete` a file by key, async.

Two adapters: `FolderStorage`, files under a folder (the default, `var/documents`), and `S3Storage`, any
S3-compatible store through aiobotocore (AWS, MinIO, Ceph, Garage, moto's server in the tests). `storage_from`
picks one from the settings. Keys are made by the service (`documents/<registration>/<id>`), never by a user.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

import structlog

from services.registration.settings import RegistrationSettings

log = structlog.get_logger()
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,250}$")


class StoredFileMissing(LookupError):
    """No file under this key."""


class StorageUnavailable(RuntimeError):
    """The store could not be reached or refused the call."""


def checked_key(key: str) -> str:
    """A key of safe characters, no `..` part (a folder store must never leave its folder)."""
    if not _KEY.match(key) or any(part in {"", ".", ".."} for part in key.split("/")):
        raise ValueError(f"bad storage key {key!r}")
    return key


class Storage(Protocol):
    """Where the files of documents live."""

    async def put(self, key: str, data: bytes, *, media_type: str) -> None:
        """Store `data` under `key` (replacing what was there)."""

    async def get(self, key: str) -> bytes:
        """The bytes under `key`; `StoredFileMissing` when there are none."""

    async def delete(self, key: str) -> None:
        """Remove the file under `key` (nothing when there is none)."""

    async def close(self) -> None:
        """Let go of connections."""


class FolderStorage:
    """Files in a folder on this machine, one per key (sub-folders by the key's slashes)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    async def put(self, key: str, data: bytes, *, media_type: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(_write_atomically, path, data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise StoredFileMissing(key) from exc

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def close(self) -> None:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside it, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class S3Storage:
    """Objects in a bucket of an S3-compatible store, through one aiobotocore client opened on first use."""

    def __init__(self, *, bucket: str, endpoint_url: str | None = None, region: str = "us-east-1",
                 access_key_id: str | None = None, secret_access_key: str | None = None, prefix: str = "") -> None:
        self.bucket, self.prefix = bucket, prefix
        self._options: dict[str, Any] = {"region_name": region}
        if endpoint_url:
            self._options["endpoint_url"] = endpoint_url
        if access_key_id and secret_access_key:
            self._options |= {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None
        self._opening = asyncio.Lock()

    async def _s3(self) -> Any:
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    from aiobotocore.session import get_session

                    stack = contextlib.AsyncExitStack()
                    self._client = await stack.enter_async_context(get_session().create_client("s3", **self._options))
                    self._stack = stack
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}{checked_key(key)}"

    async def put(self, key: str, data: bytes, *, media_type: str) -> None:
        client = await self._s3()
        try:
            await client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=media_type)
        except Exception as exc:
            raise _unavailable("put", key, exc) from exc

    async def get(self, key: str) -> bytes:
        client = await self._s3()
        try:
            answer = await client.get_object(Bucket=self.bucket, Key=self._key(key))
            async with answer["Body"] as body:
                data: bytes = await body.read()
            return data
        except Exception as exc:
            if _code_of(exc) in {"NoSuchKey", "404", "NotFound"}:
                raise StoredFileMissing(key) from exc
            raise _unavailable("get", key, exc) from exc

    async def delete(self, key: str) -> None:
        client = await self._s3()
        try:
            await client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise _unavailable("delete", key, exc) from exc

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self._client = None, None


def _code_of(exc: Exception) -> str:
    """The error code an S3 store answered with (botocore's ClientError), else ""."""
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _unavailable(operation: str, key: str, exc: Exception) -> StorageUnavailable:
    log.warning("documents.storage_failed", operation=operation, key=key, error=repr(exc), code=_code_of(exc))
    return StorageUnavailable(f"storage {operation} failed: {_code_of(exc) or type(exc).__name__}")


def storage_from(settings: RegistrationSettings, var_dir: Path) -> Storage:
    """The storage the settings choose: `folder` (default) or `s3`."""
    if settings.documents_storage == "s3":
        secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
        return S3Storage(bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
                         access_key_id=settings.s3_access_key_id, secret_access_key=secret,
                         prefix=settings.s3_prefix)
    return FolderStorage(settings.documents_folder(var_dir))
