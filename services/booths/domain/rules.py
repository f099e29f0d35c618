"""Booth rules, pure: a booth's status, why booths are released, and whether a chosen set of booths may go
to a registration (the same rule for an organizer's choice and an exhibitor's pick).

No I/O and no framework here: the service layer loads the plan, asks these functions, and saves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.booths.domain.allocation.explain import span_label
from services.booths.domain.allocation.model import Request
from services.booths.domain.floorplan import Booth, plan_order, runs
from services.booths.domain.zones import Area
from shared.errors import Invalid, Rejected
from shared.states import Transitions

__all__ = ["APPROVAL_SOLVER", "CLAIM_TRANSITIONS", "REQUEST_TRANSITIONS", "RUN_SOLVER", "BoothState", "BoothStatus",
           "ClaimState", "RequestStatus", "booth_status", "check_selection", "corner_count", "release_reason",
           "run_solver", "span_label"]

# Which solver the fair's allocation mode calls for. An approval in an `automatic` fair is placed at once,
# alone, against what is free now: the heuristic (milliseconds). A whole-fair run (`POST /allocate`) is an
# organizer asking for the best packing of everything still waiting, whatever the mode: CP-SAT, time-limited
# and started from the heuristic's answer — unless the request asks for the heuristic.
APPROVAL_SOLVER: Mapping[str, str | None] = {"automatic": "heuristic", "organizer": None, "exhibitor_picks": None}
RUN_SOLVER: Mapping[str, str] = {"automatic": "exact", "organizer": "exact", "exhibitor_picks": "exact"}


class BoothStatus(StrEnum):
    """What a booth is, as the floor plan shows it."""

    FREE = "free"
    HELD = "held"
    ASSIGNED = "assigned"
    BLOCKED = "blocked"


class ClaimState(StrEnum):
    """A live claim on a booth: held by an exhibitor's pick (until it expires) or assigned."""

    HELD = "held"
    ASSIGNED = "assigned"


# A hold becomes an assignment when confirmed; an assignment stays one (a release ends either: `released_at`).
CLAIM_TRANSITIONS = Transitions(("lượt giữ gian", "booth claim"), {ClaimState.HELD: {ClaimState.ASSIGNED}})


class RequestStatus(StrEnum):
    """Where a registration stands as booths sees it."""

    SUBMITTED = "submitted"  # known, not approved yet
    WAITING = "waiting"  # approved, waiting for booths (an organizer's, an exhibitor's pick or a run)
    ASSIGNED = "assigned"  # has its booths
    CLOSED = "closed"  # rejected or cancelled: it needs no booths


REQUEST_TRANSITIONS = Transitions(("hồ sơ xếp gian", "booth request"), {
    RequestStatus.SUBMITTED: {RequestStatus.WAITING, RequestStatus.ASSIGNED, RequestStatus.CLOSED},
    RequestStatus.WAITING: {RequestStatus.ASSIGNED, RequestStatus.CLOSED},
    RequestStatus.ASSIGNED: {RequestStatus.WAITING, RequestStatus.CLOSED},  # released by an organizer; cancelled
})


@dataclass(frozen=True)
class BoothState:
    """A booth of the plan with its current status and, for those who may know, whose it is."""

    booth: Booth
    status: BoothStatus
    registration_id: str | None = None
    exhibitor_id: str | None = None
    exhibitor_name: str | None = None
    held_until: datetime | None = None


RELEASE_REASONS: dict[str, str] = {
    "exhibitor": "doanh nghiệp hủy đăng ký / cancelled by the exhibitor",
    "organizer": "ban tổ chức hủy đăng ký / cancelled by the organizer",
    "unpaid": "quá hạn thanh toán / invoice unpaid by the due date",
    "fair_cancelled": "hội chợ bị hủy / the fair was cancelled",
    "hold_expired": "hết thời hạn giữ chỗ / the hold expired",
    "hold_cancelled": "doanh nghiệp bỏ giữ chỗ / the exhibitor dropped the hold",
    "moved": "ban tổ chức chuyển sang gian khác / moved by the organizer",
    "swapped": "ban tổ chức đổi gian giữa hai doanh nghiệp / swapped by the organizer",
}


def booth_status(*, blocked: bool, claim: ClaimState | None) -> BoothStatus:
    """A booth's status: a claim shows even on a booth blocked after it was claimed."""
    if claim is ClaimState.ASSIGNED:
        return BoothStatus.ASSIGNED
    if claim is ClaimState.HELD:
        return BoothStatus.HELD
    return BoothStatus.BLOCKED if blocked else BoothStatus.FREE


def corner_count(booths: Sequence[Booth]) -> int:
    """How many of `booths` are corner booths (open on two sides)."""
    return sum(1 for booth in booths if booth.corner)


def release_reason(cause: str, note: str = "") -> str:
    """Why booths were released, Vietnamese first, from a cause (a cancellation's or an operation's)."""
    base = RELEASE_REASONS.get(cause, f"đăng ký bị hủy ({cause}) / registration cancelled ({cause})")
    return f"{base} — {note}" if note else base


def check_selection(*, plan: Mapping[str, Booth], codes: Sequence[str], request: Request, area: Area,
                    blocked: set[str], taken: Mapping[str, str]) -> tuple[Booth, ...]:
    """The chosen booths in plan order, if they may go to ``request``; else a 4xx naming what is wrong.

    ``taken`` maps a booth code to the registration holding or assigned it (the request's own are fine).
    """
    if not codes:
        raise Invalid("Chưa chọn gian / no booth chosen", field="booth_codes", code="no-booths")
    if len(set(codes)) != len(codes):
        raise Invalid("Một gian được chọn hai lần / a booth is listed twice", field="booth_codes",
                      code="duplicate-booth")
    unknown = [code for code in codes if code not in plan]
    if unknown:
        raise Invalid(f"Không có gian {', '.join(unknown)} trong sơ đồ hội chợ này / no booth "
                      f"{', '.join(unknown)} in this fair's plan", field="booth_codes", code="unknown-booth")
    if len(codes) != request.booths:
        raise Invalid(f"Hồ sơ đăng ký {request.booths} gian, đã chọn {len(codes)} / the registration is for "
                      f"{request.booths} booth(s), {len(codes)} chosen", field="booth_codes", code="wrong-count")
    block = tuple(sorted((plan[code] for code in codes), key=plan_order))
    if len(runs(block)) != 1:
        raise Invalid(f"Các gian {', '.join(codes)} không liền kề trong một dãy / booths {', '.join(codes)} "
                      "are not a contiguous block in one row", field="booth_codes", code="not-contiguous")
    _check_available(block, request, area, blocked, taken)
    return block


def _check_available(block: Sequence[Booth], request: Request, area: Area, blocked: set[str],
                     taken: Mapping[str, str]) -> None:
    outside = [b.code for b in block if not area.admits(b.zone)]
    if outside:
        raise Rejected(f"Gian {', '.join(outside)} không thuộc {area.vi} dành cho hồ sơ này / booth(s) "
                       f"{', '.join(outside)} outside the {area.en} this registration may use",
                       field="booth_codes", code="wrong-zone")
    closed = [b.code for b in block if b.code in blocked]
    if closed:
        raise Rejected(f"Gian {', '.join(closed)} không sử dụng / booth(s) {', '.join(closed)} blocked",
                       field="booth_codes", code="booth-blocked")
    busy = [b.code for b in block if taken.get(b.code, request.registration_id) != request.registration_id]
    if busy:
        raise Rejected(f"Gian {', '.join(busy)} đã có người giữ hoặc đã xếp / booth(s) {', '.join(busy)} "
                       "already held or assigned", field="booth_codes", code="booth-taken")


def run_solver(allocation_mode: str, requested: str | None) -> tuple[str, str]:
    """The solver of a whole-fair run and who chose it: (`exact`/`heuristic`, `request`/`fair`)."""
    if requested is not None:
        return requested, "request"
    return RUN_SOLVER.get(allocation_mode, "exact"), "fair"
