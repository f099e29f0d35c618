"""A fair's rules, pure: its lifecycle (statuses and their transitions), its dates, window and terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

from shared.errors import Invalid, Rejected
from shared.states import Transitions

VIETNAM = timezone(timedelta(hours=7), "ICT")
# The longest a fair may last unless the service is configured otherwise (REGISTRATION_MAX_FAIR_DAYS).
DEFAULT_MAX_FAIR_DAYS = 30


class FairStatus(StrEnum):
    """Where a fair is in its life."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


FAIR_TRANSITIONS: Transitions[FairStatus] = Transitions(("hội chợ", "fair"), {
    FairStatus.DRAFT: {FairStatus.OPEN, FairStatus.CANCELLED},
    FairStatus.OPEN: {FairStatus.CLOSED, FairStatus.CANCELLED},
    FairStatus.CLOSED: {FairStatus.RUNNING, FairStatus.OPEN, FairStatus.CANCELLED},
    FairStatus.RUNNING: {FairStatus.FINISHED},
    FairStatus.FINISHED: set(),
    FairStatus.CANCELLED: set(),
})
# The organizer may still change details and decide on registrations until the fair starts.
EDITABLE_FAIR_STATES = frozenset({FairStatus.DRAFT, FairStatus.OPEN, FairStatus.CLOSED})
DECIDING_FAIR_STATES = frozenset({FairStatus.OPEN, FairStatus.CLOSED})


def check_fair_transition(current: FairStatus, target: FairStatus) -> None:
    """Refuse a lifecycle move the fair's state machine does not allow (staying put is no move: refused too)."""
    if current == target or not FAIR_TRANSITIONS.can(current, target):
        raise Rejected(f"Không thể chuyển hội chợ từ '{current}' sang '{target}' / "
                       f"a fair cannot go from {current} to {target}", code="invalid-transition")


def check_fair_editable(status: FairStatus) -> None:
    """A fair's details change only before it starts."""
    if status not in EDITABLE_FAIR_STATES:
        raise Rejected(f"Không thể sửa hội chợ ở trạng thái '{status}' / a {status} fair cannot be changed",
                       code="fair-not-editable")


def check_fair_deciding(status: FairStatus) -> None:
    """Registrations are decided while the fair is open or closed, never after it started or was cancelled."""
    if status not in DECIDING_FAIR_STATES:
        raise Rejected(f"Hội chợ ở trạng thái '{status}' không còn xét duyệt / a {status} fair takes no decisions",
                       code="fair-not-deciding")


@dataclass(frozen=True)
class FairWindow:
    """What decides whether a registration may be submitted now."""

    status: FairStatus
    opens_at: datetime
    closes_at: datetime
    max_booths_per_exhibitor: int


def check_fair_dates(*, starts_on: date, ends_on: date, opens_at: datetime, closes_at: datetime,
                     cancellation_deadline: datetime | None = None) -> None:
    """The fair ends on or after it starts, and its registration window is a real interval."""
    if ends_on < starts_on:
        raise Invalid("Ngày kết thúc trước ngày khai mạc / the fair ends before it starts", field="ends_on",
                      code="ends-before-start")
    if closes_at <= opens_at:
        raise Invalid("Hạn đăng ký phải sau ngày mở đăng ký / registration must close after it opens",
                      field="registration_closes_at", code="window-closes-before-opening")
    if cancellation_deadline is not None and cancellation_deadline < opens_at:
        raise Invalid("Hạn hủy đăng ký trước ngày mở đăng ký / the cancellation deadline is before registration "
                      "opens", field="cancellation_deadline", code="deadline-before-opening")


@dataclass(frozen=True)
class FairTerms:
    """What the sanity rules of a fair look at: its days, its registration window, its booths and their price."""

    starts_on: date
    ends_on: date
    closes_at: datetime
    capacity_booths: int
    max_booths_per_exhibitor: int
    booth_price_vnd: int
    is_free: bool


def fair_opens_at(starts_on: date) -> datetime:
    """The first moment of the fair: 00:00 Vietnam time on its first day."""
    return datetime.combine(starts_on, time(0, 0), tzinfo=VIETNAM)


def _blame(given: frozenset[str], usual: str, other: str) -> str:
    """The field a two-field rule names: `usual`, unless this change set only `other`."""
    return other if other in given and usual not in given else usual


def check_fair_terms(terms: FairTerms, *, today: date, max_days: int, given: frozenset[str],
                     creating: bool) -> None:
    """Dates and amounts that make sense (each refusal a 422 naming its field; `given` = the fields this change
    sets, `today` = the date in Vietnam). Whether a fair lies wholly in the past is asked only when it is created
    or its days change: a fair whose days went by may still have its other details corrected."""
    days = (terms.ends_on - terms.starts_on).days + 1
    if days > max_days:
        raise Invalid(f"Hội chợ kéo dài {days} ngày, tối đa {max_days} ngày / the fair lasts {days} days, at most "
                      f"{max_days}", field="ends_on", code="fair-too-long")
    if (creating or given & {"starts_on", "ends_on"}) and terms.ends_on < today:
        raise Invalid(f"Hội chợ đã kết thúc trước hôm nay ({today:%d/%m/%Y}) / the fair lies wholly in the past",
                      field="ends_on", code="fair-in-the-past")
    if terms.closes_at > fair_opens_at(terms.starts_on):
        raise Invalid("Hạn đăng ký phải trước ngày khai mạc / registration must close before the fair starts",
                      field=_blame(given, "registration_closes_at", "starts_on"), code="window-after-start")
    if terms.max_booths_per_exhibitor > terms.capacity_booths:
        raise Invalid(f"Tối đa mỗi doanh nghiệp {terms.max_booths_per_exhibitor} gian vượt sức chứa "
                      f"{terms.capacity_booths} gian / max_booths_per_exhibitor exceeds the capacity",
                      field=_blame(given, "max_booths_per_exhibitor", "capacity_booths"),
                      code="max-above-capacity")
    if terms.booth_price_vnd == 0 and not terms.is_free:
        raise Invalid("Giá gian hàng 0 đồng chỉ khi hội chợ miễn phí (is_free) / a booth price of 0 needs a fair "
                      "marked free (is_free: true)", field=_blame(given, "booth_price_vnd", "is_free"),
                      code="price-zero-not-free")
    if terms.booth_price_vnd > 0 and terms.is_free:
        raise Invalid("Hội chợ miễn phí thì giá gian hàng phải là 0 / a free fair's booth price must be 0",
                      field=_blame(given, "booth_price_vnd", "is_free"), code="free-fair-priced")


def default_cancellation_deadline(starts_on: date) -> datetime:
    """Without an explicit deadline, exhibitors may cancel until the fair's first day begins (Vietnam time)."""
    return fair_opens_at(starts_on)
