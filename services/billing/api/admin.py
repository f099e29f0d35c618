"""Operations routes: run the overdue check now, optionally as of another day (tests, catching up)."""

from __future__ import annotations

from fastapi import APIRouter

from services.billing.api.deps import DbDep, NowDep
from services.billing.domain import invoices as invoice_rules
from services.billing.schemas.admin import OverdueCheck, OverdueCheckResult
from services.billing.service import overdue
from shared.auth import Principal, Role, require

admin = APIRouter(prefix="/admin", tags=["operations"])


@admin.post("/overdue-check", response_model=OverdueCheckResult,
            summary="Mark invoices past their due date overdue now (admin)")
async def run_overdue_check(db: DbDep, now: NowDep, principal: Principal = require(Role.ADMIN),
                            body: OverdueCheck | None = None) -> OverdueCheckResult:
    as_of = (body.as_of if body else None) or invoice_rules.issue_date(now)
    marked = await overdue.check_overdue(db=db, today=as_of, now=now)
    return OverdueCheckResult(as_of=as_of, marked=[invoice.id for invoice in marked])


ROUTERS = (admin,)
