"""Events of the booths service, on topic `booths.events`, keyed by fair id."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.contracts.base import FairEvent

TOPIC = "booths.events"


class FloorplanPublished(FairEvent):
    """The fair's floor plan of standard booths (3 m × 3 m) exists. Sent once per plan: when the fair is
    published, and again when an organizer replaces the plan (grid or CSV import) before any booth is held
    or assigned. Not sent for a refused import."""

    event_name = "floorplan.published"
    topic = TOPIC
    booth_count: int = Field(gt=0)
    booth_codes: list[str]
    source: str = Field(default="fair", description="`fair` (built from fair.published), `grid` or `csv`")


class BoothEvent(FairEvent):
    """An event about booths of one registration."""

    topic = TOPIC
    registration_id: str | None = None
    exhibitor_id: str | None = None
    booth_codes: list[str] = Field(min_length=1)


class BoothsHeld(BoothEvent):
    """An exhibitor picked booths (fairs in `exhibitor_picks` mode): they are held until `expires_at`, then
    released (`booths.released`, cause `hold_expired`) unless confirmed (`booths.assigned`, operation
    `pick`). Sent once per hold; not sent for a refused pick (409)."""

    event_name = "booths.held"
    expires_at: datetime
    hold_id: str | None = Field(default=None, description="the hold; it becomes the assignment id on confirm")


class BoothsAssigned(BoothEvent):
    """Booths were assigned to an approved registration. Sent once per assignment (a redelivered
    `registration.approved` sends nothing). `reason` says why these booths. Billing invoices them.

    A move or swap by the organizer sends it again with the SAME `assignment_id`, the new booths in
    `booth_codes`, the old ones in `previous_booth_codes` and `operation` `move`/`swap`: the number of booths
    did not change, so a consumer billing per assignment must not bill again."""

    event_name = "booths.assigned"
    registration_id: str
    exhibitor_id: str
    assignment_id: str
    corner_count: int = 0
    reason: str = ""
    operation: str = Field(default="automatic", description=(
        "how: `automatic` (on approval), `allocation` (an optimiser run), `organizer` (chosen by hand), "
        "`pick` (an exhibitor's confirmed hold), `move`, `swap`"))
    previous_booth_codes: list[str] = Field(default_factory=list, description="before a move or swap")

    def subject(self) -> str:
        return self.registration_id


class BoothsReleased(BoothEvent):
    """Booths became free again: cancellation, expiry of a hold, or an organizer's release, move or swap.
    Not sent when there was nothing to release (a redelivered cancellation sends nothing).

    `cause` tells them apart: `cancelled` (the registration was cancelled; `reason` says why), `organizer`
    (released by hand: the registration stays approved and waits for booths), `hold_expired`,
    `hold_cancelled`, `moved` / `swapped` (followed by `booths.assigned` with the same assignment id:
    capacity did not change), `fair_cancelled`."""

    event_name = "booths.released"
    reason: str
    cause: str = "cancelled"
    assignment_id: str | None = None


class BoothsBlocked(FairEvent):
    """An organizer took free booths out of use (a pillar, a stage, a sponsor's space): nobody can hold, be
    assigned or be allocated them until they are unblocked. Carries only the booths whose state changed and
    the organizer's reason. Sent once per block operation; not sent when nothing changed (every booth asked
    for was already blocked), nor for a refused block (an unknown booth: 422; a held or assigned booth: 409,
    release it first). Blocking never touches a registration, so billing has nothing to do."""

    event_name = "booths.blocked"
    topic = TOPIC
    booth_codes: list[str] = Field(min_length=1, description="the booths newly blocked, sorted")
    reason: str = ""


class BoothsUnblocked(FairEvent):
    """An organizer put blocked booths back into use: they are free again for picks, hand assignment and
    allocation (nothing is assigned to them by this event). Carries only the booths whose state changed
    and the organizer's reason. Sent once per unblock operation; not sent when nothing changed (none of the
    booths was blocked), nor for a refused unblock (an unknown booth: 422)."""

    event_name = "booths.unblocked"
    topic = TOPIC
    booth_codes: list[str] = Field(min_length=1, description="the booths newly free, sorted")
    reason: str = ""


class AllocationCompleted(FairEvent):
    """An organizer's allocation run over the whole fair finished: how many registrations got booths, which
    could not (each with its reason in the booths API), the solver asked for (`mode`, and whether the
    request or the fair's allocation mode chose it), the solver whose answer was kept, and how good the
    result is known to be. Sent once per run, also when it placed nobody; not sent for a refused run (404,
    403, 422) nor for the single placements made on approval in `automatic` fairs (those send only
    `booths.assigned`)."""

    event_name = "allocation.completed"
    topic = TOPIC
    assigned_registrations: int = Field(ge=0)
    unmet_registration_ids: list[str] = Field(default_factory=list)
    solver: str
    status: str = Field(default="", description="`optimal`, `feasible` (time limit reached) or `heuristic`")
    objective: int | None = None
    bound: int | None = Field(default=None, description="proven upper bound of the objective (CP-SAT)")
    run_id: str | None = None
    mode: str = Field(default="", description="the solver asked for: `exact` (CP-SAT) or `heuristic`")
    mode_chosen_by: str = Field(default="", description=(
        "`request` (the organizer asked for `mode`) or `fair` (the default of the fair's allocation mode)"))
