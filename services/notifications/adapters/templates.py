"""The mail templates (templates/<language>/<kind>.txt, Jinja2): each defines a `subject` and a `body` block.
Amounts, dates and times go through the filters `vnd`, `day` and `time` (đồng, dd/mm/yyyy, Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from services.notifications.domain import formatting
from services.notifications.domain.notices import Language, NoticeKind

FOLDER = Path(__file__).resolve().parents[1] / "templates"


class RenderError(Exception):
    """A mail could not be rendered (a template missing, or a fact it names): the mail's attempt fails."""


@dataclass(frozen=True)
class Rendered:
    """A mail's words: one subject line and a plain-text body."""

    subject: str
    body: str


@cache
def _environment() -> Environment:
    # Plain text, not HTML: autoescape off; StrictUndefined so a missing fact fails the test, not the reader.
    env = Environment(loader=FileSystemLoader(FOLDER), autoescape=False, undefined=StrictUndefined,  # noqa: S701
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(vnd=formatting.vnd, day=formatting.day, time=formatting.local_time)
    return env


def render(kind: NoticeKind, language: Language, facts: dict[str, Any], *, attached: bool = False,
           invoice_link: str = "", portal_url: str = "") -> Rendered:
    """The mail of `kind` in `language` for these facts; `attached` says whether the invoice PDF goes with it
    (else the body links to `invoice_link`)."""
    try:
        template = _environment().get_template(f"{language.value}/{kind.value}.txt")
        context = template.new_context({**facts, "attached": attached, "invoice_link": invoice_link,
                                        "portal_url": portal_url})
        subject = " ".join("".join(template.blocks["subject"](context)).split())
        body = "".join(template.blocks["body"](context)).strip() + "\n"
    except (TemplateError, KeyError, ValueError, TypeError) as exc:
        raise RenderError(f"{kind.value}/{language.value}: {exc!r}") from exc
    return Rendered(subject=subject, body=body)
