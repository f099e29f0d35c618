"""A fair's fields from a create or update body: conversions, cross-field checks, re-scoring."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.domain import fairs as fair_rules
from services.registration.domain import profile
from services.registration.domain import registrations as registration_rules
from services.registration.domain.policy import PriorityPolicy
from services.registration.models import Exhibitor, Fair, Registration
from services.registration.service import audit
from services.registration.service.common import Actor, score_registration
from shared.errors import Invalid
from shared.reference import geo

SCALARS = ("name", "kind", "province_code", "venue", "starts_on", "ends_on", "registration_opens_at",
           "registration_closes_at", "capacity_booths", "booth_price_vnd", "is_free", "max_booths_per_exhibitor",
           "allocation_mode", "booths_per_row")
CLEARABLE = ("venue_commune_code", "cancellation_deadline", "sectors", "zones", "eligibility", "priority_policy")


def apply_fields(fair: Fair, data: BaseModel, *, creating: bool, today: date, max_days: int) -> None:
    """Set the fields the body gives (all of a create's, only the sent ones of an update), then check the whole
    (`today` in Vietnam, `max_days` the longest a fair may last)."""
    given = data.model_dump(exclude_unset=not creating, exclude_none=creating)
    for name, value in given.items():
        if value is None and name not in CLEARABLE:
            raise Invalid(f"Trường {name} không được để trống / {name} may not be null", field=name)
    old_default = fair_rules.default_cancellation_deadline(fair.starts_on) if fair.starts_on else None
    for name in SCALARS:
        if name in given:
            setattr(fair, name, given[name])
    _apply_lists(fair, given, creating)
    if "seller" in given:
        fair.seller_name, fair.seller_tax_code = given["seller"]["name"], given["seller"]["tax_code"]
        fair.seller_address = given["seller"].get("address", "")
    fair.venue_commune_code = profile.commune_code(given.get("venue_commune_code", fair.venue_commune_code),
                                                   fair.province_code, field="venue_commune_code")
    if given.get("cancellation_deadline") is not None:
        fair.cancellation_deadline = given["cancellation_deadline"]
    elif "cancellation_deadline" in given or creating or fair.cancellation_deadline == old_default:
        fair.cancellation_deadline = fair_rules.default_cancellation_deadline(fair.starts_on)
    for name in ("registration_opens_at", "registration_closes_at", "cancellation_deadline"):
        setattr(fair, name, getattr(fair, name).astimezone(UTC))  # stored and returned in UTC
    _check(fair, given=frozenset(given), creating=creating, today=today, max_days=max_days)
    fair.search_text = profile.search_text(fair.name, fair.venue, fair.kind,
                                           *profile.place_words(fair.province_code, fair.venue_commune_code))


def _apply_lists(fair: Fair, given: dict[str, Any], creating: bool) -> None:
    for name in ("sectors", "zones"):
        if name in given:
            setattr(fair, name, list(dict.fromkeys(given[name] or [])))
    if "eligibility" in given:
        rules = given["eligibility"] or {}
        fair.eligible_kinds = sorted(set(rules.get("kinds", [])))
        fair.cscnnt_only = bool(rules.get("cscnnt_only", False))
        fair.home_provinces = sorted(set(rules.get("home_provinces", [])))
    if "priority_policy" in given or creating:
        fair.priority_policy = _policy(given.get("priority_policy"))


def _policy(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The stored policy: the defaults of today overridden by what the organizer set, communes checked."""
    policy = PriorityPolicy.from_dict(raw)
    for index, code in enumerate(policy.difficult_communes):
        try:
            geo.commune(code)
        except KeyError:
            raise Invalid(f"Không có xã/phường mã {code} / unknown commune code {code}",
                          field=f"priority_policy.difficult_communes.{index}", code="unknown-commune") from None
    return policy.to_dict()


def _check(fair: Fair, *, given: frozenset[str], creating: bool, today: date, max_days: int) -> None:
    fair_rules.check_fair_dates(starts_on=fair.starts_on, ends_on=fair.ends_on, opens_at=fair.registration_opens_at,
                            closes_at=fair.registration_closes_at, cancellation_deadline=fair.cancellation_deadline)
    fair_rules.check_fair_terms(
        fair_rules.FairTerms(starts_on=fair.starts_on, ends_on=fair.ends_on, closes_at=fair.registration_closes_at,
                         capacity_booths=fair.capacity_booths, max_booths_per_exhibitor=fair.max_booths_per_exhibitor,
                         booth_price_vnd=fair.booth_price_vnd, is_free=fair.is_free),
        today=today, max_days=max_days, given=given, creating=creating)


def snapshot(fair: Fair) -> dict[str, Any]:
    """The fair's organizer-set fields, to diff before and after a change."""
    return fair.model_dump(exclude={"id", "search_text", "created_at", "updated_at", "status", "cancel_reason"})


async def rescore_live(session: AsyncSession, fair: Fair, actor: Actor, *, changed: list[str]) -> None:
    """The policy or the window changed: score the registrations still in play again, so the waitlist follows.

    Each registration whose score or reasons move gets an audit entry with both, so an organizer can
    explain why the waitlist re-ordered; one whose score stays exactly the same gets none (nothing changed).
    """
    rows = await session.exec(select(Registration, Exhibitor).join(Exhibitor).where(
        Registration.fair_id == fair.id, col(Registration.status).in_(registration_rules.LIVE_REGISTRATION_STATES))
        .order_by(col(Registration.submitted_at), col(Registration.id)))
    why = f"hội chợ thay đổi {', '.join(changed)} / the fair's {', '.join(changed)} changed"
    for registration, exhibitor in rows.all():
        before = {"priority_score": registration.priority_score, "priority_reasons": registration.priority_reasons}
        score_registration(fair, exhibitor, registration)
        after = {"priority_score": registration.priority_score, "priority_reasons": registration.priority_reasons}
        if after == before:
            continue
        session.add(registration)
        audit.record(session, actor, "registration.rescored", entity="registration", entity_id=registration.id,
                     fair_id=fair.id, changes=audit.diff(before, after),
                     reason=why)
