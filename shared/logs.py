"""structlog configured once per process: JSON lines with service, correlation id and event id bound."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

from shared.tracing import add_trace_ids

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def configure_logging(service: str, level: int = logging.INFO) -> None:
    """JSON lines on stderr for everything: our structlog calls and the libraries' stdlib logging
    (uvicorn, aiokafka, faststream), each carrying the service name and the bound context."""
    shared_processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared_processors, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiokafka.consumer.group_coordinator"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared_processors, structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(ensure_ascii=False)],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def current_correlation_id() -> str:
    """The correlation id of the work in progress, made up when there is none."""
    value = _correlation_id.get()
    if value is None:
        value = str(uuid.uuid4())
        _correlation_id.set(value)
    return value


@contextmanager
def correlation_scope(correlation_id: str | None, **fields: object) -> Iterator[str]:
    """Bind a correlation id (and fields such as event_id) to everything logged and emitted inside."""
    value = correlation_id or str(uuid.uuid4())
    token = _correlation_id.set(value)
    with structlog.contextvars.bound_contextvars(correlation_id=value, **fields):
        try:
            yield value
        finally:
            _correlation_id.reset(token)
