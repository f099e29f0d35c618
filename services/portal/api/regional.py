"""The regional centre's pages: subscriptions, deliveries, live feed, calendar links."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
import httpx
import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from services.portal.adapters.backend import Backend, items, problem_of
from services.portal.api.deps import backend
from services.portal.api.session import token_of, viewer
from services.portal.api.views import lang_of, render
from services.portal.domain.display import FAIR_STATUS, INVOICE_STATUS, REGISTRATION_STATUS
from services.portal.domain.errors import (
    NotAuthenticated,
    PortalError,
    ServiceProblem,
    ServiceUnavailable,
    checked_id,
    is_id,
)
from services.portal.domain.event_words import event_word
from services.portal.domain.forms import FormErrors
from services.portal.domain.subscription_forms import SUBSCRIPTION_FIELDS, split_words, subscription_body
from services.portal.service.parts import optional
from services.portal.service.regional import reach_of
from shared.auth import Principal, Role
from shared.contracts import EVENT_CLASSES
from shared.reference import geo

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

regional_pages = APIRouter(prefix="/regional", tags=["regional pages"], include_in_schema=False)

EVENT_NAMES = tuple(sorted(cls.event_name for cls in EVENT_CLASSES))
EVENT_PREFIXES = tuple(sorted({name.split(".")[0] + ".*" for name in EVENT_NAMES}))
NO_STORE = {"Cache-Control": "no-store"}
NOTICES = {
    "redelivered": ("Đã đưa các lần gửi bị tạm dừng vào hàng đợi gửi lại.", "Parked deliveries were queued again."),
    "deleted": ("Đã ngừng đăng ký nhận tin.", "The subscription was deactivated."),
    "feed-revoked": ("Đã thu hồi địa chỉ lịch.", "The calendar address was revoked."),
}


def regional_session(request: Request) -> tuple[Principal, str]:
    """The regional centre (or an admin) and its token; others are sent to log in or refused."""
    token, principal = token_of(request), viewer(request)
    if not token or principal is None:
        raise NotAuthenticated
    if principal.role not in (Role.REGIONAL, Role.ADMIN):
        raise PortalError(403, "Trang dành cho trung tâm vùng / Regional centres only")
    return principal, token


def _notice(result: str | None) -> tuple[str, str] | None:
    return NOTICES.get(result or "")


# ---------------------------------------------------------------- subscriptions

@regional_pages.get("", response_class=HTMLResponse, summary="The regional centre's subscriptions (regional)")
async def read_subscriptions(request: Request, api: BackendDep, result: str | None = None) -> Response:
    _, token = regional_session(request)
    page, me = await asyncio.gather(api.get("subscriptions", "/subscriptions", token=token),
                                    optional(api.get("subscriptions", "/subscribers/me", token=token), "subscriber"))
    subscriptions = sorted(items(page), key=lambda s: (not s.get("active"), str(s.get("created_at"))))
    return render(request, "regional/subscriptions.html", {"subscriptions": subscriptions, "me": me,
                                                           "notice": _notice(result)})


async def _subscription_form(request: Request, api: Backend, token: str, *, errors: FormErrors | None = None,
                             form: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    reach, regions = await reach_of(api, token)
    return render(request, "regional/subscription_new.html", {
        "errors": errors or FormErrors(), "form": form or {"event_types": "fair.*, session.*"},
        "reach": reach or [], "regions": regions, "prefixes": EVENT_PREFIXES}, status_code=status_code)


@regional_pages.get("/subscriptions/new", response_class=HTMLResponse, summary="A new subscription's form (regional)")
async def read_subscription_form(request: Request, api: BackendDep) -> Response:
    _, token = regional_session(request)
    return await _subscription_form(request, api, token)


@regional_pages.post("/subscriptions", summary="Create a subscription; its webhook secret is shown once (regional)")
async def create_subscription(request: Request, api: BackendDep) -> Response:
    _, token = regional_session(request)
    submitted = await request.form()
    form: dict[str, Any] = {k: v for k, v in submitted.items() if isinstance(v, str)}
    for name in ("provinces", "regions"):
        form[name] = [v for v in submitted.getlist(name) if isinstance(v, str)]
    try:
        created = await api.post("subscriptions", "/subscriptions", token=token, json=subscription_body(form))
    except ServiceProblem as problem:
        if problem.status not in (403, 409, 422):
            raise
        errors = FormErrors.from_problem(problem, SUBSCRIPTION_FIELDS)
        return await _subscription_form(request, api, token, errors=errors, form=form, status_code=problem.status)
    log.info("portal.subscription_created", subscription_id=created.get("id"), webhook=bool(created.get("url")))
    response = render(request, "regional/secret.html", {"subscription": created, "secret": created.get("secret"),
                                                        "created": True}, status_code=201)
    response.headers.update(NO_STORE)
    return response


@regional_pages.get("/subscriptions/{subscription_id}", response_class=HTMLResponse,
                    summary="A subscription with its delivery log (regional)")
async def read_subscription(request: Request, subscription_id: str, api: BackendDep, status: str = "",
                            result: str | None = None) -> Response:
    _, token = regional_session(request)
    subscription_id = checked_id(subscription_id)
    params = {"limit": "50"}
    if status in ("pending", "delivered", "parked"):
        params["status"] = status
    subscription, deliveries = await asyncio.gather(
        api.get("subscriptions", f"/subscriptions/{subscription_id}", token=token),
        api.get("subscriptions", f"/subscriptions/{subscription_id}/deliveries", token=token, params=params))
    rows = items(deliveries)
    return render(request, "regional/subscription.html", {
        "subscription": subscription, "deliveries": rows, "parked": [d for d in rows if d.get("status") == "parked"],
        "status": params.get("status", ""), "notice": _notice(result)})


@regional_pages.post("/subscriptions/{subscription_id}/secret", summary="Rotate the webhook secret (regional)")
async def rotate_secret(request: Request, subscription_id: str, api: BackendDep) -> Response:
    _, token = regional_session(request)
    subscription_id = checked_id(subscription_id)
    form = await request.form()
    body: dict[str, Any] = {}
    if form.get("overlap") == "none":
        body["overlap_s"] = 0
    rotated = await api.post("subscriptions", f"/subscriptions/{subscription_id}/secret", token=token, json=body)
    subscription = await api.get("subscriptions", f"/subscriptions/{subscription_id}", token=token)
    log.info("portal.secret_rotated", subscription_id=subscription_id, overlap=bool(body.get("overlap_s", 1)))
    response = render(request, "regional/secret.html", {
        "subscription": subscription, "secret": rotated.get("secret"), "created": False,
        "previous_until": rotated.get("previous_secret_until")})
    response.headers.update(NO_STORE)
    return response


@regional_pages.post("/subscriptions/{subscription_id}/delete", summary="Deactivate a subscription (regional)")
async def delete_subscription(request: Request, subscription_id: str, api: BackendDep) -> Response:
    _, token = regional_session(request)
    subscription_id = checked_id(subscription_id)
    await api.delete("subscriptions", f"/subscriptions/{subscription_id}", token=token)
    log.info("portal.subscription_deactivated", subscription_id=subscription_id)
    return RedirectResponse("/regional?result=deleted", status_code=303)


@regional_pages.post("/subscriptions/{subscription_id}/deliveries/redeliver",
                     summary="Redeliver every parked delivery (regional)")
async def redeliver_all(request: Request, subscription_id: str, api: BackendDep) -> Response:
    _, token = regional_session(request)
    subscription_id = checked_id(subscription_id)
    await api.post("subscriptions", f"/subscriptions/{subscription_id}/deliveries/redeliver", token=token)
    return RedirectResponse(f"/regional/subscriptions/{subscription_id}?result=redelivered", status_code=303)


@regional_pages.post("/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver",
                     summary="Redeliver one parked delivery (regional)")
async def redeliver_one(request: Request, subscription_id: str, delivery_id: int, api: BackendDep) -> Response:
    _, token = regional_session(request)
    subscription_id = checked_id(subscription_id)
    await api.post("subscriptions", f"/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver",
                   token=token)
    return RedirectResponse(f"/regional/subscriptions/{subscription_id}?result=redelivered", status_code=303)


# ---------------------------------------------------------------- calendar feeds

_FEED_PATH = re.compile(r"^/feeds/([A-Za-z0-9_-]{1,64})\.ics$")


@regional_pages.post("/subscriptions/{subscription_id}/feed",
                     summary="A new secret calendar address (the previous one stops working) (regional)")
async def create_feed(request: Request, subscription_id: str, api: BackendDep) -> Response:
    _, token = regional_session(request)
    subscription_id = checked_id(subscription_id)
    feed = await api.post("subscriptions", f"/subscriptions/{subscription_id}/feed", token=token)
    found = _FEED_PATH.match(str(feed.get("path", "")))
    if not found:
        raise ServiceUnavailable("subscriptions", "feed path not understood")
    portal_url = str(request.base_url).rstrip("/") + f"/regional/feeds/{found.group(1)}.ics"
    subscription = await api.get("subscriptions", f"/subscriptions/{subscription_id}", token=token)
    log.info("portal.feed_created", subscription_id=subscription_id)
    response = render(request, "regional/feed.html", {"subscription": subscription, "portal_url": portal_url,
                                                      "service_url": feed.get("url")}, status_code=201)
    response.headers.update(NO_STORE)
    return response


@regional_pages.post("/subscriptions/{subscription_id}/feed/delete", summary="Revoke the calendar address (regional)")
async def delete_feed(request: Request, subscription_id: str, api: BackendDep) -> Response:
    _, token = regional_session(request)
    subscription_id = checked_id(subscription_id)
    await api.delete("subscriptions", f"/subscriptions/{subscription_id}/feed", token=token)
    return RedirectResponse(f"/regional/subscriptions/{subscription_id}?result=feed-revoked", status_code=303)


@regional_pages.get("/feeds/{name}", summary="A calendar feed at its secret address, relayed (whoever holds it)")
async def read_feed(request: Request, name: str, api: BackendDep) -> Response:
    feed_token = name.removesuffix(".ics")
    if not name.endswith(".ics") or not is_id(feed_token):
        raise PortalError(404)
    answer = await api.get_raw("subscriptions", f"/feeds/{feed_token}.ics", token=None)
    headers = {k: v for k, v in answer.headers.items() if k.lower() in ("etag", "cache-control", "content-disposition")}
    return Response(answer.content, media_type=answer.headers.get("content-type", "text/calendar; charset=utf-8"),
                    headers={**headers, "Referrer-Policy": "no-referrer"})


# ---------------------------------------------------------------- live feed

@regional_pages.get("/live", response_class=HTMLResponse, summary="The region's events as they happen (regional)")
async def read_live(request: Request, types: str = "") -> Response:
    regional_session(request)
    wanted = ",".join(t for t in split_words(types) if t)
    source = "/regional/live/stream" + (f"?{urlencode({'types': wanted})}" if wanted else "")
    return render(request, "regional/live.html", {"source": source, "types": wanted, "prefixes": EVENT_PREFIXES,
                                                  "event_names": EVENT_NAMES, "labels": live_labels(lang_of(request))})


# The fields the live feed shows, in this order, and what it calls them (the script has no words of its own).
LIVE_FIELDS = (("name", "Tên", "Name"), ("legal_name", "Doanh nghiệp", "Exhibitor"), ("fair_name", "Hội chợ", "Fair"),
               ("province_code", "Tỉnh, thành phố", "Province"), ("fair_id", "Mã hội chợ", "Fair id"),
               ("status", "Trạng thái", "Status"), ("booth_codes", "Gian hàng", "Booths"),
               ("total_vnd", "Tổng tiền", "Total"))


def live_labels(lang: str) -> dict[str, Any]:
    """Labels, province names and (in Vietnamese) state names for the live feed's script."""
    return {"fields": [[key, en if lang == "en" else vi] for key, vi, en in LIVE_FIELDS],
            "events": {name: event_word(name, lang) for name in EVENT_NAMES},
            "provinces": {p.code: p.name for p in geo.provinces()},
            "statuses": {} if lang == "en" else {**FAIR_STATUS, **REGISTRATION_STATUS, **INVOICE_STATUS}}


def _refusal(response: httpx.Response) -> Exception:
    """The error a refused stream request maps to, as Backend maps other calls."""
    if response.status_code == 401:
        return NotAuthenticated()
    if response.status_code >= 500 or response.status_code < 400:
        return ServiceUnavailable("subscriptions", f"stream status {response.status_code}")
    return problem_of(response)


@regional_pages.get("/live/stream", summary="The subscriptions service's Server-Sent Events, relayed (regional)")
async def relay_stream(request: Request, api: BackendDep, types: str = "") -> Response:
    _, token = regional_session(request)
    wanted = [t for t in split_words(types) if t]
    path = "/stream" + (f"?{urlencode({'types': ','.join(wanted)})}" if wanted else "")
    headers: dict[str, str] = {}
    last = request.headers.get("last-event-id", "")
    if last and is_id(last):
        headers["Last-Event-ID"] = last
    stack = AsyncExitStack()
    try:
        upstream: httpx.Response = await stack.enter_async_context(
            api.stream("subscriptions", path, token=token, headers=headers))
        if upstream.status_code != 200:
            await upstream.aread()
            raise _refusal(upstream)
    except httpx.HTTPError as exc:
        await stack.aclose()
        log.warning("portal.stream_unreachable", error=repr(exc))
        raise ServiceUnavailable("subscriptions", "unreachable") from exc
    except Exception:
        await stack.aclose()
        raise

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        except httpx.HTTPError as exc:
            log.info("portal.stream_ended", error=repr(exc))
        finally:
            with anyio.CancelScope(shield=True):
                await stack.aclose()

    log.info("portal.stream_opened", resumed=bool(headers))
    return StreamingResponse(relay(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
