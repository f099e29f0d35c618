"""The OpenAPI each service publishes tells the truth: requests generated from it (schemathesis, a bounded
budget per operation, as an admin and as nobody) get only documented statuses, in the documented content type
and shape — problem+json for every error — and never a server error.

Each service runs in memory on a fresh database (FastStream's test broker, the real lifespan); the cases are
generated deterministically (hypothesis derandomized), so a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.billing.app import create_app as billing_app
from services.booths.app import create_app as booths_app
from services.markets.app import create_app as markets_app
from services.notifications.app import create_app as notifications_app
from services.registration.app import create_app as registration_app
from services.subscriptions.app import create_app as subscriptions_app
from shared.openapi import operations
from tests.conftest import running_app, token
from tests.service.booths_support import booths_redis_url  # noqa: F401 - fixture

EXAMPLES_PER_OPERATION = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Answers that are not the JSON API (a stream that never ends is not fuzzed; the rest are checked for status).
SKIPPED = {("get", "/fairs/{fair_id}/live"), ("get", "/subscriptions/{subscription_id}/stream")}

APPS: dict[str, Callable[..., Any]] = {
    "registration": lambda settings_for, redis: registration_app(settings_for("registration")),
    "booths": lambda settings_for, redis: booths_app(settings_for("booths", redis_url=redis)),
    "markets": lambda settings_for, redis: markets_app(settings_for("markets")),
    "billing": lambda settings_for, redis: billing_app(settings_for("billing")),
    "subscriptions": lambda settings_for, redis: subscriptions_app(settings_for("subscriptions")),
    "notifications": lambda settings_for, redis: notifications_app(settings_for("notifications")),
}


def _cases(strategy: Any, count: int) -> list[Any]:
    drawn: list[Any] = []

    @settings(max_examples=count, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case: Any) -> None:
        drawn.append(case)

    collect()
    return drawn


@pytest.mark.parametrize("service", sorted(APPS))
async def test_generated_requests_get_documented_problem_answers_and_never_a_server_error(
        service: str, settings_for: Any, booths_redis_url: str) -> None:  # noqa: F811
    app = APPS[service](settings_for, booths_redis_url)
    admin = token(app.state.settings, "admin")
    failures: list[str] = []
    async with running_app(app) as client:
        raw = (await client.get("/openapi.json")).json()
        schema = schemathesis.openapi.from_dict(raw)
        fuzzed = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.lower(), operation.path) in SKIPPED:
                continue
            for case in _cases(operation.as_strategy(), EXAMPLES_PER_OPERATION):
                for headers in (admin, {}):
                    kwargs = case.as_transport_kwargs(base_url="http://test", headers=headers)
                    kwargs.pop("cookies", None)
                    response = await client.request(**kwargs)
                    fuzzed += 1
                    try:
                        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
                    except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis: a group of failures
                        failures.append(f"{case.method} {case.formatted_path} → {response.status_code}: "
                                        f"{str(exc)[:400]}")
    assert fuzzed > 20
    assert not failures, f"{len(failures)} of {fuzzed} answers break the documented contract:\n" + "\n".join(
        failures[:25])


@pytest.mark.parametrize("service", sorted(APPS))
def test_no_operation_documents_fastapis_validation_error_and_every_error_is_a_problem(
        service: str, settings_for: Any) -> None:
    app = APPS[service](settings_for, "redis://127.0.0.1:1/0")
    schema = app.openapi()
    assert "HTTPValidationError" not in str(schema)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
    assert len(operations(app)) == sum(len(item) for item in schema["paths"].values())


async def test_docs_pages_load_their_assets_from_the_service_itself(settings_for: Any) -> None:
    app = registration_app(settings_for("registration"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            assert "cdn" not in html.lower() and "https://" not in html.split("<body")[0], page
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            answer = await client.get(f"/static-offline-docs/{asset}")
            assert answer.status_code == 200 and len(answer.content) > 10_000, asset
