"""The registration workflow, pure: its statuses, which may follow which, and the checks of each step."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from services.registration.domain.fairs import FairStatus, FairWindow
from shared.errors import Invalid, Rejected
from shared.states import Transitions


class RegistrationStatus(StrEnum):
    """Where a registration is in its workflow."""

    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# Approved or waitlisted by the organizer's decision (capacity decides which), rejected, sent back for changes and
# resubmitted, cancelled while live; approved, rejected and cancelled registrations take no decision any more.
REGISTRATION_TRANSITIONS: Transitions[RegistrationStatus] = Transitions(("hồ sơ", "registration"), {
    RegistrationStatus.SUBMITTED: {RegistrationStatus.APPROVED, RegistrationStatus.WAITLISTED,
                                   RegistrationStatus.REJECTED, RegistrationStatus.CHANGES_REQUESTED,
                                   RegistrationStatus.CANCELLED},
    RegistrationStatus.WAITLISTED: {RegistrationStatus.APPROVED, RegistrationStatus.REJECTED,
                                    RegistrationStatus.CHANGES_REQUESTED, RegistrationStatus.CANCELLED},
    RegistrationStatus.CHANGES_REQUESTED: {RegistrationStatus.SUBMITTED, RegistrationStatus.REJECTED,
                                           RegistrationStatus.CANCELLED},
    RegistrationStatus.APPROVED: {RegistrationStatus.CANCELLED},
    RegistrationStatus.REJECTED: set(),
    RegistrationStatus.CANCELLED: set(),
})
LIVE_REGISTRATION_STATES = frozenset({RegistrationStatus.SUBMITTED, RegistrationStatus.CHANGES_REQUESTED,
                                      RegistrationStatus.APPROVED, RegistrationStatus.WAITLISTED})


def may_become(current: RegistrationStatus, target: RegistrationStatus) -> bool:
    """Whether the workflow lets `current` move to `target` (staying put is no move)."""
    return current != target and REGISTRATION_TRANSITIONS.can(current, target)


def _refuse(status: str, action: tuple[str, str]) -> Rejected:
    """The refusal of a workflow step: `action` is (Vietnamese, English)."""
    return Rejected(f"Không thể {action[0]} hồ sơ ở trạng thái '{status}' / cannot {action[1]} a {status} "
                    "registration", code="invalid-transition")


def check_can_register(window: FairWindow, *, now: datetime, booths_requested: int) -> None:
    """An exhibitor may register only while the fair is open and its window runs, within the maximum."""
    if window.status is not FairStatus.OPEN:
        raise Rejected("Hội chợ không mở đăng ký / the fair is not open for registration", code="fair-not-open")
    if not (window.opens_at <= now < window.closes_at):
        raise Rejected("Ngoài thời hạn đăng ký / outside the registration window", code="window-closed")
    check_booth_count(booths_requested, window.max_booths_per_exhibitor)


def check_booth_count(booths_requested: int, maximum: int) -> None:
    """At most the fair's maximum of booths per exhibitor."""
    if booths_requested > maximum:
        raise Invalid(f"Tối đa {maximum} gian hàng / at most {maximum} booths per exhibitor",
                      field="booths_requested")


def decide_approval(*, status: RegistrationStatus, capacity: int, approved_booths: int,
                    booths_requested: int) -> RegistrationStatus:
    """Approve while the fair has room for all requested booths, else waitlist; refuse final states."""
    if not may_become(status, RegistrationStatus.APPROVED):
        raise _refuse(status, ("duyệt", "approve"))
    if approved_booths + booths_requested <= capacity:
        return RegistrationStatus.APPROVED
    return RegistrationStatus.WAITLISTED


def check_can_reject(status: RegistrationStatus) -> None:
    """Only a registration awaiting a decision can be rejected; an approved one is cancelled instead."""
    if not may_become(status, RegistrationStatus.REJECTED):
        raise _refuse(status, ("từ chối", "reject"))


def check_can_request_changes(status: RegistrationStatus) -> None:
    """The organizer asks for changes to a registration it has not approved yet."""
    if not may_become(status, RegistrationStatus.CHANGES_REQUESTED):
        raise _refuse(status, ("yêu cầu bổ sung", "ask to resubmit"))


def check_can_resubmit(status: RegistrationStatus) -> None:
    """The exhibitor edits its registration only when asked to."""
    if not may_become(status, RegistrationStatus.SUBMITTED):
        raise Rejected("Chỉ sửa hồ sơ khi ban tổ chức yêu cầu bổ sung / a registration is changed only when the "
                       "organizer asked for changes", code="invalid-transition")


def check_can_cancel(status: RegistrationStatus, *, by_exhibitor: bool, now: datetime,
                     deadline: datetime) -> None:
    """A live registration may be cancelled; its exhibitor only until the fair's cancellation deadline."""
    if not may_become(status, RegistrationStatus.CANCELLED):
        raise _refuse(status, ("hủy", "cancel"))
    if by_exhibitor and now >= deadline:
        raise Rejected("Đã quá hạn hủy đăng ký / the cancellation deadline has passed",
                       code="cancellation-deadline-passed")
