"""The FastAPI app every service builds: lifespan, problems, correlation ids, health, readiness, AsyncAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from faststream.specification import AsyncAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator, routing
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import tracing
from shared.auth import Principal, require
from shared.logs import correlation_scope
from shared.messaging import consumers_of, subscriptions_of
from shared.metrics import (
    CONTENT_TYPE,
    ReceivedPrometheusMiddleware,
    ServiceMetrics,
    instrument_consumers,
    instrument_outbox,
    metrics_of,
)
from shared.openapi import install_problem_openapi
from shared.outbox import outbox_backlog
from shared.problems import install_problem_handlers
from shared.runtime import ServiceRuntime

CORRELATION_HTTP_HEADER = "X-Correlation-ID"
log = structlog.get_logger()

Hook = Callable[[ServiceRuntime], Awaitable[None]]


def create_service_app(*, runtime: ServiceRuntime, title: str, description: str,
                       routers: Sequence[APIRouter], on_startup: Sequence[Hook] = ()) -> FastAPI:
    """The service's HTTP app; its lifespan runs the consumers and the outbox relay beside it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        instrument_consumers(metrics, consumers=lambda: consumers_of(runtime.broker),
                             subscriptions=lambda: subscriptions_of(runtime.broker), db=runtime.db)
        for hook in on_startup:
            await hook(runtime)
        log.info("service.started", port=runtime.settings.port)
        try:
            yield
        finally:
            await runtime.stop()
            log.info("service.stopped")

    # Swagger UI and ReDoc from the service itself (fastapi-offline packages their assets): /docs works offline.
    app = FastAPIOffline(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.settings = runtime.settings
    install_problem_handlers(app)
    metrics = _install_metrics(app, runtime)
    _install_correlation_middleware(app, runtime.settings.service)
    app.include_router(_ops_router(runtime, title, description))
    for router in routers:
        app.include_router(router)
    install_problem_openapi(app)
    if tracing.configure_tracing(runtime.settings.service):
        tracing.instrument(app, {runtime.db.engine, runtime.db.read_engine})
    return app


class CorrelationMiddleware:
    """Binds the request's correlation id (X-Correlation-ID, or a new one) to everything logged and emitted
    while it is served, and returns it on the response. Plain ASGI by hand (a dozen lines): Starlette's
    `BaseHTTPMiddleware` starts a task group per request and cost about 30 % of a POST's time under load."""

    def __init__(self, app: ASGIApp, service: str = "") -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation, traceparent = _carried_ids(scope["headers"])
        with correlation_scope(correlation, path=scope["path"],
                               method=scope["method"]) as correlation_id, tracing.carried(traceparent):
            tracing.annotate(correlation_id=correlation_id, service=self.service)

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = _with_header(message.get("headers", ()), _CORRELATION_RAW,
                                                      correlation_id.encode("latin-1"))
                await send(message)

            await self.app(scope, receive, send_with_id)


_CORRELATION_RAW = CORRELATION_HTTP_HEADER.lower().encode("latin-1")
_TRACEPARENT_RAW = b"traceparent"


def _carried_ids(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The request's X-Correlation-ID and traceparent (the first of each), read as Starlette's `Headers` would
    (ASGI gives header names in lower case) in one scan of the raw headers, with no object built."""
    correlation = traceparent = None
    for name, value in headers:
        if name == _CORRELATION_RAW and correlation is None:
            correlation = value.decode("latin-1")
        elif name == _TRACEPARENT_RAW and traceparent is None:
            traceparent = value.decode("latin-1")
    return correlation, traceparent


def _with_header(headers: Iterable[tuple[bytes, bytes]], name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    """The response's headers with `name` set to `value`, as `MutableHeaders.__setitem__` sets it: the first
    header of that name replaced and any others dropped, else appended."""
    out: list[tuple[bytes, bytes]] = []
    found = False
    for key, existing in headers:
        if key != name:
            out.append((key, existing))
        elif not found:
            out.append((name, value))
            found = True
    if not found:
        out.append((name, value))
    return out


def _install_metrics(app: FastAPI, runtime: ServiceRuntime) -> ServiceMetrics:
    """HTTP metrics by route template and status (the instrumentator's middleware, plain ASGI), the broker's
    (FastStream's middleware, per received batch; publishes are left alone) and the outbox's; the consumers' are added
    once the runtime started (they are subscribed by then)."""
    metrics = metrics_of(runtime.db)
    instrument_http(app, metrics.registry)
    runtime.broker.add_middleware(ReceivedPrometheusMiddleware(registry=metrics.registry,
                                                              app_name=runtime.settings.service))
    instrument_outbox(metrics, backlog=lambda: outbox_backlog(runtime.db), published=lambda: runtime.relay.published)
    return metrics


def _install_correlation_middleware(app: FastAPI, service: str) -> None:
    app.add_middleware(CorrelationMiddleware, service=service)


def _ops_router(runtime: ServiceRuntime, title: str, description: str) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Process is up")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": runtime.settings.service}

    @router.get("/ready", summary="Database, broker and Redis reachable")
    async def ready() -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ok else "not-ready", "checks": checks},
                            status_code=200 if ok else 503)

    @router.get("/admin/delivery", summary="Delivery state: consumers, parked events, outbox backlog (admin)",
                responses={401: {"description": "no or bad token"}, 403: {"description": "not an admin"}})
    async def delivery(_: Annotated[Principal, require()]) -> dict[str, Any]:
        """What waits and why: each consumer's counts since start and its parked events (reason, age, when it
        will be dead-lettered), and the outbox rows not yet published with the age of the oldest."""
        consumers = []
        for consumer in consumers_of(runtime.broker):
            consumers.append({"name": consumer.name, "topics": list(consumer.topics),
                              "stats": asdict(consumer.stats), "parked": await consumer.parked(),
                              "park_ttl_s": consumer.park_ttl.total_seconds()})
        return {"service": runtime.settings.service, "consumers": consumers,
                "outbox": await outbox_backlog(runtime.db)}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus exposition. Unauthenticated, as scrapers expect: keep it off public ingress."""
        return Response(await metrics_of(runtime.db).render(), media_type=CONTENT_TYPE)

    @router.get("/asyncapi", summary="AsyncAPI 3.0 document of this service's topics")
    async def asyncapi() -> Response:
        spec = AsyncAPI(runtime.broker, title=f"{title} events", description=description, version="0.1.0")
        return Response(spec.to_specification().to_json(), media_type="application/json")

    return router


def runtime_of(request: Request) -> ServiceRuntime:
    """The service runtime behind a request."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


class _RouteTemplates(PrometheusInstrumentatorMiddleware):
    """The instrumentator's middleware, resolving a request's route template against the app's routes flattened
    once: the library flattens them again for every request (FastAPI's included routers rebuilt route by route),
    6 % of the registration service's CPU under approvals. The flat list is rebuilt only when the app's routes
    change; a request no route matches takes the library's own path (its trailing-slash rule)."""

    _flat: tuple[int, int, list[BaseRoute]] | None = None

    def _get_handler(self, request: Request) -> tuple[str, bool]:
        app = request.scope.get("app")
        routes = getattr(app, "routes", None)
        if not routes or self.should_include_root_path:
            return super()._get_handler(request)
        if self._flat is None or self._flat[:2] != (id(routes), len(routes)):
            self._flat = (id(routes), len(routes), routing._effective_routes(routes))
        name = routing._get_route_name(request.scope, self._flat[2])
        return (name, True) if name is not None else super()._get_handler(request)


def instrument_http(app: FastAPI, registry: CollectorRegistry) -> None:
    """HTTP metrics by route template and status (plain ASGI middleware; /metrics itself left out)."""
    Instrumentator(should_group_status_codes=False, excluded_handlers=["/metrics"], registry=registry).instrument(app)
    for middleware in app.user_middleware:
        entry: Any = middleware  # starlette types `cls` as a factory; it is the class the instrumentator added
        if entry.cls is PrometheusInstrumentatorMiddleware:
            entry.cls = _RouteTemplates
