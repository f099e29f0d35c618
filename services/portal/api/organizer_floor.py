"""The organizer's floor plan pages: the live map (the booths service's Server-Sent Events relayed), a new
plan from a grid or a CSV file, assigning / moving / swapping / releasing / blocking booths by hand, and the
automatic allocation with the reason of every decision and the requests it could not meet."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from markupsafe import Markup

from services.portal.adapters.backend import Backend, items
from services.portal.api.deps import backend, form_of, organizer_session, page_context
from services.portal.api.views import SECURITY_HEADERS, lang_of, render
from services.portal.domain.errors import PortalError, ServiceProblem, ServiceUnavailable, checked_id
from services.portal.domain.floor_swaps import swap_groups
from services.portal.domain.forms import FormErrors
from services.portal.domain.organizer_forms import codes, renamed
from services.portal.domain.organizer_map import BOOTH_STATES, interactive_map
from services.portal.service.floor_swaps import swap_refusal
from services.portal.service.parts import optional

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

floor = APIRouter()

MAX_CSV_BYTES = 2_000_000
_LINE = re.compile(r"^line \d+: ")
MAX_TIME_LIMIT_S = 60
REQUEST_STATES: dict[str, tuple[str, str]] = {
    "submitted": ("Chưa duyệt", "Not approved yet"), "waiting": ("Chờ xếp gian", "Waiting for booths"),
    "assigned": ("Đã có gian", "Has booths"), "closed": ("Đã đóng", "Closed"),
}
OP_OUTCOMES: dict[str, tuple[str, str]] = {
    "grid": ("Đã tạo sơ đồ mới theo lưới.", "New grid plan saved."),
    "csv": ("Đã nhập sơ đồ từ tệp CSV.", "Plan imported from the CSV file."),
    "assign": ("Đã xếp gian cho hồ sơ.", "Booths assigned."),
    "move": ("Đã chuyển gian.", "Booths moved."),
    "swap": ("Đã đổi gian giữa hai doanh nghiệp.", "Booths swapped."),
    "release": ("Đã trả gian; hồ sơ chờ xếp lại.", "Booths released; the registration waits again."),
    "block": ("Đã khóa gian.", "Booths blocked."),
    "unblock": ("Đã mở khóa gian.", "Booths unblocked."),
}
# The fields of each operation's form, as the booths service names them.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "assign": ("registration_id", "booth_codes"),
    "move": ("registration_id", "booth_codes"),
    "swap": ("registration_ids",),
    "release": ("registration_id", "reason"),
    "block": ("booth_codes", "reason"),
    "unblock": ("booth_codes", "reason"),
    "grid": ("rows", "booths_per_row", "aisle_every", "reserved", "code", "name", "halls"),
    "csv": ("csv",),
}


@floor.get("/fairs/{fair_id}/floorplan", response_class=HTMLResponse, summary="The live floor plan (organizer)")
async def read_floorplan_page(request: Request, fair_id: str, api: BackendDep, result: str | None = None
                              ) -> Response:
    return await _floor_page(request, api, checked_id(fair_id), notice=OP_OUTCOMES.get(result or ""))


async def _floor_page(request: Request, api: Backend, fair_id: str, *, notice: tuple[str, str] | None = None,
                      op: str | None = None, errors: FormErrors | None = None, form: dict[str, str] | None = None,
                      status_code: int = 200) -> Response:
    _, token = organizer_session(request)
    fair = await api.get("registration", f"/fairs/{fair_id}", token=token)
    plan, drawing, assignments, requests = await asyncio.gather(
        optional(api.get("booths", f"/fairs/{fair_id}/floorplan", token=token), "floorplan"),
        optional(api.get_raw("booths", f"/fairs/{fair_id}/floorplan.svg", token=token), "floorplan.svg"),
        optional(api.get("booths", f"/fairs/{fair_id}/assignments", token=token), "assignments"),
        optional(api.get("booths", f"/fairs/{fair_id}/requests", token=token), "requests"))
    request_rows = items(requests) if requests is not None else []
    names = {str(r.get("registration_id")): str(r.get("exhibitor_name") or r.get("exhibitor_id"))
             for r in request_rows}
    plan = plan if isinstance(plan, dict) else None
    groups, alone = swap_groups(items(assignments or []))
    return render(request, "organizer/floorplan.html", page_context(
        swap_groups=groups, swap_alone=alone,
        fair=fair, plan=plan, live_map=_live_map(request, plan, drawing), assignments=items(assignments or []),
        requests=request_rows, waiting=[r for r in request_rows if r.get("status") == "waiting"], names=names,
        booth_states=BOOTH_STATES, request_states=REQUEST_STATES, notice=notice, op=op,
        errors=errors or FormErrors(), form=form or {"rows": "7", "booths_per_row": "10", "aisle_every": "0"}),
        status_code=status_code)


async def _refused(request: Request, api: Backend, fair_id: str, op: str, problem: ServiceProblem,
                   form: dict[str, str]) -> Response:
    """The page again, the service's messages next to the fields of the operation's form."""
    if problem.status not in (409, 413, 422):
        raise problem
    fields = OPERATIONS[op]

    def rename(path: str) -> str:
        head = path.split(".")[0]
        if op == "grid" and path.startswith("halls") and "." in path:
            head = path.rsplit(".", 1)[-1]
        return f"{op}-{head}" if head in fields else ""

    errors = FormErrors.from_problem(renamed(problem, rename), [f"{op}-{f}" for f in fields])
    return await _floor_page(request, api, fair_id, op=op, errors=errors, form=form, status_code=problem.status)


MAP_LABEL = ("Sơ đồ gian hàng: bấm hoặc nhấn Enter trên một gian để điền vào biểu mẫu thao tác bên dưới",
             "Floor plan: click a booth, or press Enter on it, to fill in the operation forms below")


def _live_map(request: Request, plan: dict[str, Any] | None, drawing: httpx.Response | None) -> Markup | None:
    """The booths service's drawing inlined and clickable; None (the page shows the plain image) if unreadable."""
    if plan is None or drawing is None:
        return None
    lang = lang_of(request)
    booths = [b for b in plan.get("booths") or [] if isinstance(b, dict)]
    return interactive_map(drawing.content, booths, lang=lang, label=MAP_LABEL[1 if lang == "en" else 0],
                           described_by="map-help")


def _done(fair_id: str, op: str) -> Response:
    return RedirectResponse(f"/organizer/fairs/{fair_id}/floorplan?result={op}#{op}", status_code=303)


# ---- a new plan -----------------------------------------------------------------------------------------

@floor.post("/fairs/{fair_id}/floorplan/grid", summary="Replace the plan by a grid of booths (organizer)")
async def replace_with_grid(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    form = await form_of(request)
    errors = FormErrors()
    hall: dict[str, Any] = {}
    for name in ("rows", "booths_per_row", "aisle_every"):
        raw = form.get(name, "").strip() or ("0" if name == "aisle_every" else "")
        try:
            hall[name] = int(raw)
        except ValueError:
            errors.add(f"grid-{name}", "Vui lòng nhập một số nguyên.")
    if errors:
        errors.title, errors.title_en = "Vui lòng kiểm tra lại thông tin", "Please check the form"
        return await _floor_page(request, api, fair_id, op="grid", errors=errors, form=form, status_code=422)
    hall.update(code=form.get("code", "").strip(), name=form.get("name", "").strip(),
                reserved=codes(form.get("reserved", "")))
    try:
        await api.put("booths", f"/fairs/{fair_id}/floorplan/grid", token=token, json={"halls": [hall]})
    except ServiceProblem as problem:
        return await _refused(request, api, fair_id, "grid", problem, form)
    log.info("portal.floorplan_grid", fair_id=fair_id, rows=hall["rows"], per_row=hall["booths_per_row"])
    return _done(fair_id, "grid")


@floor.post("/fairs/{fair_id}/floorplan/csv", summary="Replace the plan by a CSV file (organizer)")
async def replace_with_csv(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    form = await request.form()
    upload = form.get("csv")
    content = b""
    if upload is not None and not isinstance(upload, str):
        content = await upload.read(MAX_CSV_BYTES + 1)
    if not content.strip():
        errors = FormErrors(title="Vui lòng chọn tệp CSV", title_en="Choose a CSV file")
        errors.add("csv-csv", "Chưa có tệp hoặc tệp rỗng.")
        return await _floor_page(request, api, fair_id, op="csv", errors=errors, status_code=422)
    try:
        await api.put_raw("booths", f"/fairs/{fair_id}/floorplan/csv", token=token, content=content)
    except ServiceProblem as problem:
        return await _refused(request, api, fair_id, "csv", _with_lines(problem), {})
    log.info("portal.floorplan_csv", fair_id=fair_id, size=len(content))
    return _done(fair_id, "csv")


def _with_lines(problem: ServiceProblem) -> ServiceProblem:
    """A refused CSV: every issue under the file field, with its line (`dòng 3, x: …`)."""
    errors = []
    for error in problem.errors:
        where = [str(error[k]) for k in ("line",) if error.get(k) is not None]
        prefix = f"dòng {where[0]}, " if where else ""
        column = str(error.get("field") or "")
        message = _LINE.sub("", str(error.get("message") or ""))
        text = f"{prefix}{column + ': ' if column and column != 'csv' else ''}{message}"
        errors.append({"field": "csv", "message": text})
    return ServiceProblem(problem.status, problem.title, problem.detail, errors)


# ---- operations by hand ---------------------------------------------------------------------------------

@floor.post("/fairs/{fair_id}/booths/{op}", summary="Assign, move, swap, release, block or unblock booths")
async def operate(request: Request, fair_id: str, op: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    if op not in OPERATIONS or op in ("grid", "csv"):
        raise PortalError(404)
    form = await form_of(request)
    registration = form.get("registration_id", "").strip()
    booth_codes = codes(form.get("booth_codes", ""))
    reason = form.get("reason", "").strip()
    missing = [name for name in OPERATIONS[op] if name in ("registration_id", "booth_codes")
               and not (registration if name == "registration_id" else booth_codes)]
    pair = [v for v in (form.get("first", "").strip(), form.get("second", "").strip()) if v]
    if op == "swap" and len(pair) != 2:
        missing.append("registration_ids")
    if op == "swap" and not missing:
        refusal = await swap_refusal(api, token, fair_id, pair)
        if refusal:
            errors = FormErrors(title="Vui lòng kiểm tra lại thông tin", title_en="Please check the form")
            errors.add("swap-registration_ids", *refusal)
            return await _floor_page(request, api, fair_id, op=op, errors=errors, form=form, status_code=422)
    if missing:
        errors = FormErrors(title="Vui lòng kiểm tra lại thông tin", title_en="Please check the form")
        for name in missing:
            errors.add(f"{op}-{name}", "Vui lòng nhập trường này.")
        return await _floor_page(request, api, fair_id, op=op, errors=errors, form=form, status_code=422)
    path, body = {
        "assign": (f"/fairs/{fair_id}/assignments", {"registration_id": registration, "booth_codes": booth_codes}),
        "move": (f"/fairs/{fair_id}/assignments/{checked_id(registration or '-')}/move",
                 {"booth_codes": booth_codes}),
        "swap": (f"/fairs/{fair_id}/swap", {"registration_ids": pair}),
        "release": (f"/fairs/{fair_id}/assignments/{checked_id(registration or '-')}/release", {"reason": reason}),
        "block": (f"/fairs/{fair_id}/booths/block", {"booth_codes": booth_codes, "reason": reason}),
        "unblock": (f"/fairs/{fair_id}/booths/unblock", {"booth_codes": booth_codes, "reason": reason}),
    }[op]
    try:
        await api.post("booths", path, token=token, json=body)
    except ServiceProblem as problem:
        return await _refused(request, api, fair_id, op, problem, form)
    log.info("portal.booths_operation", fair_id=fair_id, op=op)
    return _done(fair_id, op)


# ---- automatic allocation -------------------------------------------------------------------------------

@floor.post("/fairs/{fair_id}/allocate", response_class=HTMLResponse,
            summary="Run the automatic allocation and show every decision with its reason (organizer)")
async def run_allocation(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    form = await form_of(request)
    # No choice sends no mode: the booths service then follows the fair's allocation mode.
    mode = form.get("mode") if form.get("mode") in ("exact", "heuristic") else None
    try:
        limit = min(max(float(form.get("time_limit_s", "") or 5), 1.0), MAX_TIME_LIMIT_S)
    except ValueError:
        limit = 5.0
    try:
        answer = await api.post_raw("booths", f"/fairs/{fair_id}/allocate", token=token,
                                    json={"time_limit_s": limit} | ({"mode": mode} if mode else {}),
                                    timeout=limit + 15)
        run = answer.json()
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await _floor_page(request, api, fair_id, status_code=problem.status, op="allocate",
                                 errors=FormErrors.from_problem(problem, ()), form=form)
    except ValueError as exc:
        raise ServiceUnavailable("booths", "answer is not JSON") from exc
    log.info("portal.allocation_run", fair_id=fair_id, mode=mode, assigned=len(run.get("assigned", [])),
             unmet=len(run.get("unmet", [])))
    fair, requests = await asyncio.gather(
        api.get("registration", f"/fairs/{fair_id}", token=token),
        optional(api.get("booths", f"/fairs/{fair_id}/requests", token=token), "requests"))
    names = {str(r.get("registration_id")): str(r.get("exhibitor_name") or r.get("exhibitor_id"))
             for r in items(requests or [])}
    return render(request, "organizer/allocation.html", page_context(fair=fair, run=run, names=names))


# ---- the live map ---------------------------------------------------------------------------------------

@floor.get("/fairs/{fair_id}/floorplan/map", response_class=HTMLResponse,
           summary="The clickable map alone, as an HTML fragment: what the live page swaps in when booths change")
async def read_live_map(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    plan, drawing = await asyncio.gather(
        api.get("booths", f"/fairs/{fair_id}/floorplan", token=token),
        api.get_raw("booths", f"/fairs/{fair_id}/floorplan.svg", token=token))
    markup = _live_map(request, plan if isinstance(plan, dict) else None, drawing)
    if markup is None:
        raise ServiceUnavailable("booths", "floor plan drawing unreadable")
    return HTMLResponse(str(markup), headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


@floor.get("/fairs/{fair_id}/floorplan/stream", summary="The booths service's live map events, relayed (SSE)")
async def relay_floorplan_stream(request: Request, fair_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    stack = AsyncExitStack()
    try:
        upstream = await stack.enter_async_context(
            api.stream("booths", f"/fairs/{fair_id}/floorplan/stream", token=token))
    except httpx.HTTPError as exc:
        await stack.aclose()
        log.warning("portal.stream_unreachable", fair_id=fair_id, error=repr(exc))
        raise ServiceUnavailable("booths", "stream unreachable") from exc
    if upstream.status_code != 200:
        await stack.aclose()
        # An EventSource stops retrying on a non-200 answer; the map then simply stays as loaded.
        return Response(status_code=upstream.status_code if upstream.status_code < 500 else 502)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        except httpx.HTTPError as exc:
            log.info("portal.stream_ended", fair_id=fair_id, error=repr(exc))
        finally:
            await stack.aclose()

    return StreamingResponse(relay(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
