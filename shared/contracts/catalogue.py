"""Renders the event catalogue (docs/events.md) from the contracts themselves, so it cannot drift."""

from __future__ import annotations

import inspect
import types
import typing

from shared.contracts import EVENT_CLASSES, all_topics
from shared.contracts.base import Event

HEADER = """# Event catalogue

Generated from `shared/contracts/` by `uv run python -m shared.contracts.catalogue > docs/events.md`
(a test fails when this file is stale). Every event travels as a CloudEvents 1.0 message in Kafka binary
mode: the body is the JSON below, the headers carry `ce_specversion`, `ce_id` (UUID, the idempotency key),
`ce_source` (`/services/<name>`), `ce_type` (`vn.hangviet.<event>.v1`), `ce_time`, `ce_subject` (the
aggregate id), `content-type: application/json` and the extension `ce_correlationid` (one id for every
event of one user action). Messages are keyed by fair id (or market programme id), so the events of one
fair are ordered on one partition. A consumer that gives up on a message sends it to `<topic>.dlq` with
headers `dlq_reason`, `dlq_consumer`, `dlq_attempts`, `dlq_original_topic`, `dlq_original_partition`,
`dlq_original_offset`.

## Topics

| topic | partitions |
|---|---|
"""


def _type_name(annotation: object) -> str:
    """A short, readable name: `str`, `list[str]`, `str | None`, `'a' | 'b'`, `PartyInfo`."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(repr(v) for v in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if annotation is type(None):
        return "None"
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(_type_name(a) for a in args)}]"
    return str(getattr(annotation, "__name__", annotation))


def _field_rows(cls: type[Event]) -> list[str]:
    rows = []
    for name, info in cls.model_fields.items():
        annotation = _type_name(info.annotation)
        required = "yes" if info.is_required() else "no"
        cell = annotation.replace("|", "\\|")
        rows.append(f"| `{name}` | `{cell}` | {required} |")
    return rows


def render() -> str:
    """The whole catalogue as Markdown."""
    lines = [HEADER.rstrip("\n")]
    lines += [f"| `{topic}` | {count} |" for topic, count in all_topics().items()]
    for topic in dict.fromkeys(cls.topic for cls in EVENT_CLASSES):
        lines += ["", f"## `{topic}`"]
        for cls in (c for c in EVENT_CLASSES if c.topic == topic):
            doc = inspect.cleandoc(cls.__doc__ or "")
            lines += ["", f"### `{cls.event_name}` — `{cls.ce_type()}`", "", doc, "",
                      "| field | type | required |", "|---|---|---|", *_field_rows(cls)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
