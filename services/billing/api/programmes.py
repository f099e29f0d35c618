"""HTTP routes of subsidy programmes (KCQG / KCĐP) and their settlement reports: organizers of the centre."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from services.billing.api.deps import DbDep, NowDep
from services.billing.models import SubsidyProgramme
from services.billing.schemas.programmes import (
    ProgrammeCreate,
    ProgrammePublic,
    ProgrammesPublic,
    ProgrammeUpdate,
    SettlementGroup,
    SettlementLine,
    SettlementReport,
)
from services.billing.service import programmes, settlement
from shared.auth import Organizer

CentreId = Annotated[str | None, Query(min_length=1, max_length=64, description="admins only: which centre")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(prefix="/subsidy-programmes", tags=["subsidy programmes"])


def programme_public(row: SubsidyProgramme) -> ProgrammePublic:
    """Shape a programme: its lists and what is left of its budget."""
    values: dict[str, Any] = row.model_dump()
    return ProgrammePublic.model_validate({**values, "remaining_vnd": row.budget_vnd - row.committed_vnd})


def settlement_public(report: settlement.Settlement) -> SettlementReport:
    """Shape a settlement report."""
    return SettlementReport(
        programme=programme_public(report.programme), budget_vnd=report.budget_vnd,
        committed_vnd=report.committed_vnd, paid_vnd=report.paid_vnd, released_vnd=report.released_vnd,
        remaining_vnd=report.remaining_vnd, booths=report.booths, exhibitors=report.exhibitors,
        by_fair=[SettlementGroup.model_validate(group, from_attributes=True) for group in report.by_fair],
        by_province=[SettlementGroup.model_validate(group, from_attributes=True) for group in report.by_province],
        lines=[SettlementLine.model_validate(line, from_attributes=True) for line in report.lines])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProgrammePublic,
             summary="Create a programme of the caller's centre (organizer; admin names the centre)")
async def create_programme(body: ProgrammeCreate, db: DbDep, principal: Organizer, now: NowDep,
                           centre_id: CentreId = None) -> ProgrammePublic:
    row = await programmes.create_programme(db=db, principal=principal, centre_id=centre_id, body=body, now=now)
    return programme_public(row)


@router.get("", response_model=ProgrammesPublic, summary="The centre's programmes (organizer; admin)")
async def read_programmes(db: DbDep, principal: Organizer, centre_id: CentreId = None) -> ProgrammesPublic:
    rows = await programmes.list_programmes(db=db, principal=principal, centre_id=centre_id)
    return ProgrammesPublic(data=[programme_public(row) for row in rows], count=len(rows))


@router.get("/{programme_id}", response_model=ProgrammePublic, summary="One programme (organizer; admin)")
async def read_programme(programme_id: str, db: DbDep, principal: Organizer) -> ProgrammePublic:
    return programme_public(await programmes.get_programme(db=db, principal=principal, programme_id=programme_id))


@router.patch("/{programme_id}", response_model=ProgrammePublic,
              summary="Change a programme's terms or budget (organizer; admin)")
async def update_programme(programme_id: str, body: ProgrammeUpdate, db: DbDep, principal: Organizer,
                           now: NowDep) -> ProgrammePublic:
    row = await programmes.update_programme(db=db, principal=principal, programme_id=programme_id, body=body,
                                            now=now)
    return programme_public(row)


@router.delete("/{programme_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a programme that never supported a booth (organizer; admin)")
async def delete_programme(programme_id: str, db: DbDep, principal: Organizer) -> Response:
    await programmes.delete_programme(db=db, principal=principal, programme_id=programme_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{programme_id}/settlement", response_model=SettlementReport,
            summary="Settlement report (quyết toán): booths, exhibitors, amounts by fair and province (organizer)")
async def read_settlement(programme_id: str, db: DbDep, principal: Organizer) -> SettlementReport:
    return settlement_public(await settlement.settlement_report(db=db, principal=principal, programme_id=programme_id))


@router.get("/{programme_id}/settlement.xlsx", response_class=Response,
            summary="The settlement report as an .xlsx workbook with Vietnamese headers (organizer)",
            responses={200: {"content": {XLSX: {}}}})
async def read_settlement_xlsx(programme_id: str, db: DbDep, principal: Organizer) -> Response:
    # openpyxl (20 MiB) is imported on the first workbook asked for, not by every billing process at start.
    from services.billing.adapters.settlement_xlsx import settlement_xlsx

    report = await settlement.settlement_report(db=db, principal=principal, programme_id=programme_id)
    name = f"quyet-toan-{programme_id}.xlsx"
    return Response(settlement_xlsx(report), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


ROUTERS = (router,)
