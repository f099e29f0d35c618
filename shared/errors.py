"""The one exception a domain rule raises when it refuses something; HTTP turns it into a 4xx problem.

Plain Python on purpose: domain modules may raise it without importing any framework.
"""

from __future__ import annotations


class Rejected(Exception):
    """A command refused by a rule: `status` is the HTTP status it maps to, `field` the input at fault."""

    status = 409

    def __init__(self, message: str, *, code: str = "rejected", field: str | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        if status is not None:
            self.status = status


class NotFound(Rejected):
    """The thing does not exist (or the caller may not see it)."""

    status = 404


class Forbidden(Rejected):
    """The caller may not do this to this thing."""

    status = 403


class Invalid(Rejected):
    """The input breaks a rule about its own value (a tax code, a count)."""

    status = 422


class NotYet(Exception):
    """An event handler cannot apply an event *yet*: what it needs arrives in another topic's event (Kafka
    orders nothing across topics). The consumer parks the event and applies it once that has arrived.

    `waits_for` names what it needs precisely: the subject (aggregate id) of the event that will make it
    applicable, e.g. the registration id for a `registration.approved`. The consumer then retries it only when
    an event about that subject has been applied (and on its periodic sweep); without it, after every apply.
    """

    def __init__(self, message: str, *, waits_for: str | None = None) -> None:
        super().__init__(message)
        self.waits_for = waits_for
