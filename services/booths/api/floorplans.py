"""HTTP routes of the booths service's floor plans: parse, authorise, call a use case, shape the reply."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from sse_starlette import EventSourceResponse

from services.booths.api.deps import CtxDep
from services.booths.domain import svg
from services.booths.domain.geometry import PlanError
from services.booths.domain.rules import BoothStatus
from services.booths.domain.zones import Zone
from services.booths.schemas.floorplans import (
    BoothPublic,
    FloorplanPublic,
    GridSpec,
    PlanReplaced,
    StatusCounts,
    ZoneIn,
    ZonePublic,
)
from services.booths.service import plans, queries
from shared.auth import MaybePrincipal, Organizer
from shared.problems import Problem

SVG_MEDIA_TYPE = "image/svg+xml; charset=utf-8"
MAX_CSV_BYTES = 2_000_000


def plan_problem(error: PlanError) -> Problem:
    """A refused plan as a 422 problem listing every issue with its line."""
    return Problem(422, error.message, type_="invalid-floorplan", errors=[i.as_error() for i in error.issues])


def zone_public(zone: Zone) -> ZonePublic:
    """Shape a zone."""
    return ZonePublic(code=zone.code, name=zone.name, kind=zone.kind.value, sectors=list(zone.sectors),
                      province_code=zone.province_code)


def floorplan_public(plan: queries.Floorplan) -> FloorplanPublic:
    """Shape a floor plan."""
    booths = [BoothPublic(code=s.booth.code, hall=s.booth.hall, row=s.booth.row, col=s.booth.col, x_m=s.booth.x_m,
                          y_m=s.booth.y_m, width_m=s.booth.width_m, depth_m=s.booth.depth_m, corner=s.booth.corner,
                          zone=s.booth.zone or None, status=s.status, neighbours=plan.neighbours.get(s.booth.code, []),
                          registration_id=s.registration_id, exhibitor_id=s.exhibitor_id,
                          exhibitor_name=s.exhibitor_name, held_until=s.held_until)
              for s in plan.booths]
    counts = StatusCounts(**{status.value: sum(1 for b in booths if b.status is status) for status in BoothStatus})
    return FloorplanPublic(fair_id=plan.fair.id, name=plan.fair.name, allocation_mode=plan.fair.allocation_mode,
                           booth_count=len(booths), counts=counts, zones=[zone_public(z) for z in plan.zones],
                           booths=booths)


router = APIRouter(prefix="/fairs", tags=["floorplans"])


@router.get("/{fair_id}/floorplan", response_model=FloorplanPublic, response_model_exclude_none=True,
                summary="A fair's floor plan with live statuses (public; the fair's organizers also see whose "
                        "booth is whose, an exhibitor its own, the public the names of paid booths)")
async def read_floorplan(fair_id: str, ctx: CtxDep, principal: MaybePrincipal) -> FloorplanPublic:
    return floorplan_public(await queries.get_floorplan(db=ctx.db, fair_id=fair_id, principal=principal))


@router.get("/{fair_id}/floorplan.svg", response_class=Response,
                responses={200: {"content": {"image/svg+xml": {}}, "description": "the plan as SVG"}},
                summary="A fair's floor plan drawn to scale with zones and statuses, printable (public)")
async def read_floorplan_svg(fair_id: str, ctx: CtxDep, principal: MaybePrincipal) -> Response:
    plan = await queries.get_floorplan(db=ctx.db, fair_id=fair_id, principal=principal)
    return Response(svg.render_floorplan(plan.fair.name or plan.fair.id, plan.booths, plan.zones),
                    media_type=SVG_MEDIA_TYPE)


@router.get("/{fair_id}/floorplan/stream", response_class=EventSourceResponse,
                responses={200: {"content": {"text/event-stream": {}},
                                 "description": "`ready`, then a `booths` event per change: "
                                                "{fair_id, cause, booths: {code: status}}"}},
                summary="Live booth status changes as Server-Sent Events (public: statuses only)")
async def stream_floorplan(fair_id: str, ctx: CtxDep) -> EventSourceResponse:
    await queries.get_floorplan(db=ctx.db, fair_id=fair_id, principal=None)  # 404 for an unknown fair

    async def events() -> AsyncIterator[dict[str, Any]]:
        async with ctx.feed.subscription(fair_id) as messages:
            yield {"event": "ready", "data": json.dumps({"fair_id": fair_id})}
            async for message in messages:
                yield {"event": "booths", "data": message}

    return EventSourceResponse(events(), ping=15)


@router.put("/{fair_id}/floorplan/grid", response_model=PlanReplaced,
                summary="Replace the plan by a grid of halls, rows, booths per row, aisles and reserved cells "
                        "(organizers of the fair; only before any booth was held or assigned)")
async def replace_floorplan_grid(fair_id: str, spec: GridSpec, ctx: CtxDep, principal: Organizer) -> PlanReplaced:
    try:
        count = await plans.replace_with_grid(ctx=ctx, principal=principal, fair_id=fair_id, spec=spec)
    except PlanError as exc:
        raise plan_problem(exc) from exc
    return PlanReplaced(fair_id=fair_id, source="grid", booth_count=count)


@router.put("/{fair_id}/floorplan/csv", response_model=PlanReplaced,
                openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                    "type": "string", "example": "code,hall,x,y,width,depth,zone\nA01,,0,0,3,3,\nA02,,3,0,3,3,\n"}}}}},
                summary="Replace the plan by a CSV import (code, hall, x, y, width, depth, zone; metres) "
                        "(organizers of the fair)")
async def replace_floorplan_csv(fair_id: str, request: Request, ctx: CtxDep, principal: Organizer) -> PlanReplaced:
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise Problem(413, "Tệp quá lớn / file too large", detail=f"at most {MAX_CSV_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(422, "Tệp CSV phải mã hóa UTF-8 / the CSV must be UTF-8", type_="invalid-floorplan",
                      errors=[{"field": "csv", "message": str(exc)}]) from exc
    try:
        count = await plans.replace_with_csv(ctx=ctx, principal=principal, fair_id=fair_id, text=text)
    except PlanError as exc:
        raise plan_problem(exc) from exc
    return PlanReplaced(fair_id=fair_id, source="csv", booth_count=count)


@router.get("/{fair_id}/zones", response_model=list[ZonePublic], summary="A fair's zones (public)")
async def read_zones(fair_id: str, ctx: CtxDep) -> list[ZonePublic]:
    plan = await queries.get_floorplan(db=ctx.db, fair_id=fair_id, principal=None)
    return [zone_public(z) for z in plan.zones]


@router.put("/{fair_id}/zones", response_model=list[ZonePublic],
                summary="Replace a fair's sector zones and province pavilions (organizers of the fair)")
async def replace_zones(fair_id: str, zones: list[ZoneIn], ctx: CtxDep, principal: Organizer) -> list[ZonePublic]:
    saved = await plans.set_zones(ctx=ctx, principal=principal, fair_id=fair_id, zones=zones)
    return [zone_public(z) for z in saved]
