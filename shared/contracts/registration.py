"""Events of the registration service, on topic `registration.events`, keyed by fair id."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from pydantic import BaseModel, Field

from shared.contracts.base import CommuneCode, FairEvent, ProvinceCode, Vnd

TOPIC = "registration.events"

FairKind = Literal["provincial", "regional", "national", "international", "cnnt_showcase"]
ExhibitorKind = Literal["enterprise", "cooperative", "cooperative_group", "household"]
AllocationMode = Literal["organizer", "automatic", "exhibitor_picks"]

EXHIBITOR_KINDS: tuple[ExhibitorKind, ...] = get_args(ExhibitorKind)
# How each kind is named to users: (Vietnamese, English). The one list every service and page reads.
EXHIBITOR_KIND_LABELS: dict[str, tuple[str, str]] = {
    "enterprise": ("Doanh nghiệp", "Enterprise"),
    "cooperative": ("Hợp tác xã", "Cooperative"),
    "cooperative_group": ("Tổ hợp tác", "Cooperative group"),
    "household": ("Hộ kinh doanh", "Household business"),
}


class PartyInfo(BaseModel):
    """Who a party is, as an invoice names it: legal name, tax code and address."""

    name: str
    tax_code: str
    address: str = ""
    province_code: ProvinceCode | None = None
    commune_code: CommuneCode | None = None


class ExhibitorInfo(PartyInfo):
    """A snapshot of the exhibitor at the time of the event, so consumers need no lookup."""

    exhibitor_id: str
    kind: ExhibitorKind
    is_cscnnt: bool = False
    email: str | None = Field(default=None, description=(
        "the profile's contact e-mail (absent from older producers): the default address of its notices"))


class FairInfo(FairEvent):
    """The public state of a fair, carried whole so consumers keep their own copy."""

    topic = TOPIC
    centre_id: str
    name: str
    kind: FairKind
    province_code: ProvinceCode
    venue: str
    starts_on: date
    ends_on: date
    registration_opens_at: datetime
    registration_closes_at: datetime
    capacity_booths: int = Field(gt=0)
    booth_price_vnd: Vnd
    max_booths_per_exhibitor: int = Field(gt=0)
    allocation_mode: AllocationMode = "automatic"
    booths_per_row: int = Field(default=10, gt=0)
    seller: PartyInfo
    status: Literal["open", "closed", "running", "finished"] | None = Field(
        default=None, description="the fair's lifecycle state after this event (absent from older producers)")
    venue_commune_code: str | None = Field(default=None, pattern=r"^\d{5}$", description="5-digit commune code")
    cancellation_deadline: datetime | None = Field(
        default=None, description="exhibitors may cancel their own registration until then")
    sectors: list[str] = Field(default_factory=list)
    zones: list[str] = Field(default_factory=list)
    eligible_kinds: list[ExhibitorKind] = Field(default_factory=list, description="empty: every kind")
    cscnnt_only: bool = False
    home_provinces: list[str] = Field(default_factory=list,
                                      description="2-digit province codes admitted; empty: every province")


class FairPublished(FairInfo):
    """The organizer opened the fair for registration. Sent once per fair, on draft → open.

    Not sent for drafts nor when an open fair is edited (that is `fair.updated`).
    Booths builds the floor plan from it; billing keeps its price and the seller; subscriptions notify.
    """

    event_name = "fair.published"


class FairUpdated(FairInfo):
    """A published fair's details changed (dates, price, capacity…) or it moved along its lifecycle
    without an event of its own (closed → open, closed → running, running → finished; see `status`);
    carries the whole new state.

    Not sent while the fair is a draft (nobody outside registration knows it yet); not sent for
    open → closed (`fair.closed`) nor for a cancellation (`fair.cancelled`).
    """

    event_name = "fair.updated"


class FairClosed(FairEvent):
    """Registration closed (open → closed), by the organizer or when the window ended. Sent once."""

    event_name = "fair.closed"
    topic = TOPIC
    centre_id: str
    closed_at: datetime


class FairCancelled(FairEvent):
    """The fair will not take place. Sent once, for a published fair (a cancelled draft sends nothing);
    each live registration of the fair then gets its `registration.cancelled` (reason `fair_cancelled`)."""

    event_name = "fair.cancelled"
    topic = TOPIC
    centre_id: str
    reason: str


class RegistrationEvent(FairEvent):
    """An event about one registration of an exhibitor for a fair."""

    topic = TOPIC
    registration_id: str
    exhibitor_id: str

    def subject(self) -> str:
        return self.registration_id


class RegistrationSubmitted(RegistrationEvent):
    """An exhibitor submitted a registration for N booths. Sent once; not sent for rejected input."""

    event_name = "registration.submitted"
    exhibitor: ExhibitorInfo
    booths_requested: int = Field(gt=0)
    sector: str = ""
    products: list[str] = Field(default_factory=list)
    priority_score: int = 0
    submitted_at: datetime
    zone: str = ""


class RegistrationApproved(RegistrationEvent):
    """The organizer approved it (or it was promoted from the waitlist): booths may now be assigned.

    Carries the exhibitor snapshot and request so booths and billing need no call back.
    Not sent when the approval would exceed the fair's capacity (that is `registration.waitlisted`).
    """

    event_name = "registration.approved"
    exhibitor: ExhibitorInfo
    booths_requested: int = Field(gt=0)
    sector: str = ""
    priority_score: int = 0
    approved_at: datetime
    zone: str = ""
    promoted: bool = Field(default=False, description="true when it came off the waitlist as booths freed up")


class RegistrationWaitlisted(RegistrationEvent):
    """Approved in principle, but the fair's capacity is taken: the registration waits, at `position` in the
    policy's order (priority score, then submission time). Later moves up the list send nothing; leaving it
    sends `registration.approved` (promoted), `.rejected` or `.cancelled`."""

    event_name = "registration.waitlisted"
    position: int = Field(ge=1)
    priority_score: int = 0
    booths_requested: int | None = None


class RegistrationRejected(RegistrationEvent):
    """The organizer rejected the registration, with a reason. Final."""

    event_name = "registration.rejected"
    reason: str


class RegistrationChangesRequested(RegistrationEvent):
    """The organizer sent the registration back to its exhibitor, saying what to change (`reason`); the exhibitor
    resubmits it (then it is reviewed again: no event until approved, waitlisted or rejected). Sent once per
    request; not sent for a refused request (a registration already decided, a fair no longer deciding)."""

    event_name = "registration.changes_requested"
    reason: str


class RegistrationCancelled(RegistrationEvent):
    """The registration ended before the fair: by the exhibitor, the organizer, an unpaid invoice or
    the fair's cancellation. Booths release its booths; billing voids its invoice."""

    event_name = "registration.cancelled"
    reason: Literal["exhibitor", "organizer", "unpaid", "fair_cancelled"]
    was_approved: bool | None = Field(default=None, description="whether it held booths when cancelled")
    note: str = ""
