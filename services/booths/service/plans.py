"""Use cases of organizers shaping a fair's plan: its zones, and a new plan from a grid description or a
CSV import. One transaction each; a refused plan changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

import structlog
from sqlmodel import col, delete, func, select

from services.booths.domain import floorplan
from services.booths.domain.csvplan import MAX_BOOTHS, parse_plan_csv
from services.booths.domain.geometry import PlanError, PlanIssue, lay_out
from services.booths.domain.zones import Zone, ZoneKind
from services.booths.models import Assignment, BoothZone, StandardBooth
from services.booths.schemas.floorplans import GridSpec, ZoneIn
from services.booths.service import store, vacancy
from services.booths.service.assignments import actor_of
from services.booths.service.store import Context
from shared.contracts.booths import FloorplanPublished
from shared.errors import Invalid, Rejected
from shared.principal import Principal
from shared.reference import geo
from shared.uow import UnitOfWork

log = structlog.get_logger()


def _zone(index: int, data: ZoneIn) -> Zone:
    kind = ZoneKind(data.kind)
    if kind is ZoneKind.PAVILION:
        if not data.province:
            raise Invalid("Gian tỉnh cần mã tỉnh / a pavilion needs its province", field=f"[{index}].province")
        try:
            province = geo.resolve_province(data.province).code
        except geo.UnknownPlace as exc:
            raise Invalid(f"Không rõ tỉnh '{data.province}' / unknown province", field=f"[{index}].province",
                          code="unknown-province") from exc
        return Zone(code=data.code, name=data.name, kind=kind, province_code=province)
    if not data.sectors:
        raise Invalid("Khu ngành cần ít nhất một ngành hàng / a sector zone needs its sectors",
                      field=f"[{index}].sectors")
    return Zone(code=data.code, name=data.name, kind=kind, sectors=tuple(data.sectors))


async def set_zones(*, ctx: Context, principal: Principal, fair_id: str, zones: Sequence[ZoneIn]) -> list[Zone]:
    """Replace the fair's zones; a zone still used by booths cannot go (409)."""
    wanted = [_zone(i, z) for i, z in enumerate(zones)]
    codes = [z.code for z in wanted]
    if len(set(codes)) != len(codes):
        raise Invalid("Mã khu bị trùng / duplicate zone code", field="code", code="duplicate-zone")
    async with ctx.unit_of_work() as uow:
        session = uow.session
        fair = await store.organizer_fair(session, fair_id, principal)
        used = {b.zone for b in (await store.plan_of(session, fair.id)).values() if b.zone}
        orphaned = sorted(used - set(codes))
        if orphaned:
            raise Rejected(f"Khu {', '.join(orphaned)} còn gian trên sơ đồ / zone(s) {', '.join(orphaned)} still "
                           "hold booths of the plan", code="zone-in-use", field="code")
        await session.exec(delete(BoothZone).where(col(BoothZone.fair_id) == fair.id))
        session.add_all([BoothZone(fair_id=fair.id, code=z.code, name=z.name, kind=z.kind.value,
                                   sectors=list(z.sectors),
                                   province_code=z.province_code) for z in wanted])
        ctx.layouts.forget(fair.id)
        vacancy.forget(session, fair.id)
        store.audit(session, fair_id=fair.id, actor=actor_of(principal), action="zones",
                    detail=", ".join(f"{z.code} ({z.kind.value})" for z in wanted) or "—")
    return wanted


def grid_booths(spec: GridSpec, zones: set[str]) -> list[floorplan.Booth]:
    """The booths of a grid description, with their zones; PlanError names what is wrong."""
    issues: list[PlanIssue] = []
    halls = [h.code for h in spec.halls]
    if len(set(halls)) != len(halls) or (len(halls) > 1 and not all(halls)):
        issues.append(PlanIssue(None, "halls", "mỗi nhà cần một mã riêng / every hall needs its own code"))
    if sum(h.rows * h.booths_per_row for h in spec.halls) > MAX_BOOTHS:
        issues.append(PlanIssue(None, "halls", f"quá {MAX_BOOTHS} gian / more than {MAX_BOOTHS} booths"))
    if issues:
        raise PlanError(issues)
    booths: list[floorplan.Booth] = []
    for i, hall in enumerate(spec.halls):
        shape = floorplan.HallGrid(code=hall.code, rows=hall.rows, booths_per_row=hall.booths_per_row,
                                   aisle_every=hall.aisle_every, reserved=frozenset(hall.reserved), name=hall.name)
        outside = floorplan.cells_outside(shape, hall.reserved)
        if outside:
            issues.append(PlanIssue(None, f"halls[{i}].reserved", f"không có ô {', '.join(outside)} trong nhà này / "
                                                                  f"no cell {', '.join(outside)} in this hall"))
        grid = floorplan.build_halls([shape])
        booths.extend(_zoned(i, shape, grid, hall.zones, zones, issues))
    if not booths:
        issues.append(PlanIssue(None, "halls", "sơ đồ không có gian nào / the plan has no booths"))
    if issues:
        raise PlanError(issues)
    return booths


def _zoned(index: int, hall: floorplan.HallGrid, grid: list[floorplan.Booth], areas: Sequence,  # type: ignore[type-arg]
           zones: set[str], issues: list[PlanIssue]) -> list[floorplan.Booth]:
    by_code = {b.code.removeprefix(f"{hall.code}-") if hall.code else b.code: b for b in grid}
    zone_of: dict[str, str] = {}
    for j, area in enumerate(areas):
        where = f"halls[{index}].zones[{j}]"
        if area.zone not in zones:
            issues.append(PlanIssue(None, f"{where}.zone", f"khu '{area.zone}' chưa được khai báo / unknown zone"))
            continue
        no_row = floorplan.rows_outside(hall, area.rows)
        if no_row:
            issues.append(PlanIssue(None, f"{where}.rows", f"nhà này không có dãy {', '.join(no_row)} / no row "
                                                           f"{', '.join(no_row)} in this hall"))
        chosen = [b for b in grid if b.row in set(area.rows)]
        missing = [code for code in area.booths if code not in by_code]
        if missing:
            issues.append(PlanIssue(None, f"{where}.booths", f"không có gian {', '.join(missing)} / no booth "
                                                             f"{', '.join(missing)} in this hall"))
        chosen += [by_code[code] for code in area.booths if code in by_code]
        zone_of.update({b.code: area.zone for b in chosen})
    return [replace(b, zone=zone_of.get(b.code, "")) for b in grid]


async def replace_with_grid(*, ctx: Context, principal: Principal, fair_id: str, spec: GridSpec) -> int:
    """A new plan from a grid description; the number of booths."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.organizer_fair(session, fair_id, principal)
        zones = {z.code for z in await store.zones_of(session, fair_id)}
        return await _replace(uow, ctx, fair_id, grid_booths(spec, zones), "grid", actor_of(principal))


async def replace_with_csv(*, ctx: Context, principal: Principal, fair_id: str, text: str) -> int:
    """A new plan from a CSV import; the number of booths."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.organizer_fair(session, fair_id, principal)
        zones = {z.code for z in await store.zones_of(session, fair_id)}
        booths = lay_out(parse_plan_csv(text, zones=zones))
        return await _replace(uow, ctx, fair_id, booths, "csv", actor_of(principal))


async def _replace(uow: UnitOfWork, ctx: Context, fair_id: str, booths: list[floorplan.Booth], source: str,
                   actor: str) -> int:
    session = uow.session
    claims = (await session.exec(select(func.count()).select_from(Assignment)
                                 .where(Assignment.fair_id == fair_id))).one()
    if claims:
        raise Rejected("Sơ đồ đã có gian được giữ chỗ hoặc xếp, không thay được nữa / the plan has had holds or "
                       "assignments and can no longer be replaced (block or unblock booths instead)",
                       code="plan-in-use")
    fair = await store.lock_fair(session, fair_id)
    await session.exec(delete(StandardBooth).where(col(StandardBooth.fair_id) == fair_id))
    session.add_all([StandardBooth(fair_id=fair_id, **asdict(booth)) for booth in booths])
    fair.plan_source = source
    session.add(fair)
    uow.emit(FloorplanPublished(fair_id=fair_id, booth_count=len(booths), booth_codes=[b.code for b in booths],
                                source=source))
    store.audit(session, fair_id=fair_id, actor=actor, action="plan",
                detail=f"{source}: {len(booths)} gian / booths")
    ctx.feed.stage(uow, fair_id, {}, "plan")
    ctx.layouts.forget(fair_id)
    vacancy.forget(session, fair_id)
    log.info("floorplan.replaced", fair_id=fair_id, source=source, booth_count=len(booths))
    return len(booths)
