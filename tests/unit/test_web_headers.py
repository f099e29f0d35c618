"""The raw-header helpers of the HTTP kernel read and set headers exactly as Starlette's `Headers` and
`MutableHeaders` do (they replace them on every request's path)."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders

from services.registration.api.idempotency import _idempotency_key
from shared.web import _carried_ids, _with_header

RAW = [(b"host", b"x"), (b"x-correlation-id", b"c-1"), (b"traceparent", b"00-ab-cd-01"),
       (b"x-correlation-id", b"c-2"), (b"idempotency-key", b"k\xe9"), (b"idempotency-key", b"k2")]


def test_the_request_ids_are_read_as_starlette_reads_them():
    headers = Headers(scope={"headers": RAW})
    assert _carried_ids(RAW) == (headers.get("X-Correlation-ID"), headers.get("traceparent"))
    assert _carried_ids([(b"host", b"x")]) == (None, None)


def test_the_idempotency_key_is_read_as_starlette_reads_it():
    assert _idempotency_key({"headers": RAW}) == Headers(scope={"headers": RAW})["idempotency-key"]
    assert _idempotency_key({"headers": [(b"host", b"x")]}) is None


def test_a_response_header_is_set_as_mutable_headers_sets_it():
    for given in ([], [(b"content-type", b"a")], [(b"x-correlation-id", b"old"), (b"a", b"1"),
                                                  (b"x-correlation-id", b"older")]):
        message = {"headers": list(given)}
        MutableHeaders(scope=message)["X-Correlation-ID"] = "new"
        assert _with_header(given, b"x-correlation-id", b"new") == message["headers"]
