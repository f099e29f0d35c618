"""OpenTelemetry traces, off unless asked for: OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter
reads the OTEL_* variables itself), an exporter given by a test, nothing otherwise.

Off, nothing is instrumented and no span is made; a W3C `traceparent` that came in (an HTTP header, an event's
`ce_traceparent`) is still carried, as a string in a context variable, into the events staged while it is
current, so a trace survives a hop through a process that does not trace. On, the FastAPI, SQLAlchemy, httpx and
Redis instrumentations make their spans; the relay makes a producer span per published row (a child of the
request that staged it) and the consumer a span per applied event (a child of that producer span).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:  # the SDK is imported only when tracing is turned on (its import pulls psutil: ~0.1 s)
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = ["SpanKind"]  # re-exported: callers pick a kind without importing OpenTelemetry

CORRELATION_ATTRIBUTE = "hangviet.correlation_id"
SERVICE_ATTRIBUTE = "hangviet.service"

_incoming: ContextVar[str | None] = ContextVar("traceparent", default=None)
_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: Tracer | None = None
_instrumented_globals = False


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> bool:
    """Set up the process's tracer provider once: with `exporter` (tests: spans exported as they end), else OTLP
    over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else nothing. True when tracing is on."""
    global _provider, _tracer
    if _provider is not None:
        return True
    if exporter is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME")
                                                        or f"hangviet-{service}"}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _provider, _tracer = provider, provider.get_tracer("hangviet")
    return True


def shutdown_tracing() -> None:
    """Flush and forget the provider, and take the process-wide instrumentations off (tests; process exit)."""
    global _provider, _tracer, _instrumented_globals
    if _provider is None:
        return
    _provider.shutdown()
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # A singleton: left instrumented, the next provider's `instrument(engine=...)` would be a silent no-op (the
    # engines of the apps built after it got no database spans — a test-order failure).
    if SQLAlchemyInstrumentor().is_instrumented_by_opentelemetry:
        SQLAlchemyInstrumentor().uninstrument()
    if _instrumented_globals:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        HTTPXClientInstrumentor().uninstrument()
        RedisInstrumentor().uninstrument()
    _provider, _tracer, _instrumented_globals = None, None, False


def enabled() -> bool:
    """Whether spans are made in this process."""
    return _provider is not None


def instrument(app: Any, engines: Iterable[Any]) -> None:
    """Instrument a service's FastAPI app and database engines, and (once per process) httpx and Redis."""
    global _instrumented_globals
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=_provider, excluded_urls="health,ready,metrics")
    for engine in engines:
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=_provider,
                                            skip_dep_check=True)  # 2.1 keeps the engine events it hooks
    if not _instrumented_globals:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        HTTPXClientInstrumentor().instrument(tracer_provider=_provider)
        RedisInstrumentor().instrument(tracer_provider=_provider)
        _instrumented_globals = True


def current_traceparent() -> str | None:
    """The W3C traceparent of the work in progress: the active span's when tracing, else the one that came in."""
    if _provider is not None:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    return _incoming.get()


class _Carried:
    """Tracing off: the incoming traceparent, current for the block (a context variable set and reset)."""

    __slots__ = ("_token", "_traceparent")

    def __init__(self, traceparent: str | None) -> None:
        self._traceparent = traceparent
        self._token: Token[str | None] | None = None

    def __enter__(self) -> None:
        self._token = _incoming.set(self._traceparent)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._token is not None:
            _incoming.reset(self._token)


def continued(traceparent: str | None, name: str, *, kind: SpanKind = SpanKind.CONSUMER,
              attributes: Mapping[str, str] | None = None) -> Any:
    """A context manager for work that continues `traceparent`: a span that is its child when tracing, else
    the traceparent made current (so what is staged inside carries it)."""
    if _tracer is None:
        return _Carried(traceparent)
    parent = _propagator.extract({"traceparent": traceparent}) if traceparent else None
    return _tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes)


def carried(traceparent: str | None) -> _Carried:
    """Make an incoming traceparent current (HTTP requests, whatever the tracing: the server span, when there is
    one, takes precedence in `current_traceparent`)."""
    return _Carried(traceparent)


def annotate(**attributes: str) -> None:
    """Set attributes on the active span, if any (a no-op when tracing is off)."""
    if _provider is not None:
        span = trace.get_current_span()
        if span.is_recording():
            for key, value in attributes.items():
                span.set_attribute(f"hangviet.{key}", value)


def add_trace_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the active span's trace_id and span_id beside the correlation id."""
    if _provider is not None:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            event_dict["trace_id"] = f"{context.trace_id:032x}"
            event_dict["span_id"] = f"{context.span_id:016x}"
    return event_dict
