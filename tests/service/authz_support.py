"""The authorization matrix's machinery (no tests here): eight principals of two tenants, a rule per route saying
who may call it and what the others get, and a runner that calls every route as every principal on the objects
of both tenants and lists each answer that differs from the rule.

Tenant "x" is centre X (its organizer), exhibitor A (registered at X's fair) and the regional centre of the
north; tenant "y" is centre Y, exhibitor B and the south. An object "of x" is X's fair, A's registration, the
north's subscription... Calling a route on both tenants' objects covers, for every principal, its own object and
another tenant's.

The codebase's convention (shared.auth, shared.openapi): no or a bad token → 401; a token of a role the route
does not admit → 403; an object of another tenant → 404, as if it did not exist; admin may do everything.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.auth import issue_token
from shared.openapi import auth_of, operations
from tests.conftest import token

PRINCIPALS = ("anonymous", "exhibitor_a", "exhibitor_b", "organizer_x", "organizer_y", "regional_north",
              "regional_south", "admin")
SIDES = ("x", "y")
ROLE = {"anonymous": None, "exhibitor_a": "exhibitor", "exhibitor_b": "exhibitor", "organizer_x": "organizer",
        "organizer_y": "organizer", "regional_north": "regional", "regional_south": "regional", "admin": "admin"}
HOME = {"exhibitor_a": "x", "organizer_x": "x", "regional_north": "x",
        "exhibitor_b": "y", "organizer_y": "y", "regional_south": "y"}
CENTRE = {"x": "centre-x", "y": "centre-y"}
EXHIBITOR = {"x": "ex-a", "y": "ex-b"}
REGION = {"x": "north", "y": "south"}

Key = tuple[str, str]  # (principal, side)


def headers_of(settings: Any, principal: str) -> dict[str, str]:
    """The Authorization header of a principal (none for the anonymous caller)."""
    role, side = ROLE[principal], HOME.get(principal, "x")
    if role is None:
        return {}
    if role == "exhibitor":
        return token(settings, role, exhibitor_id=EXHIBITOR[side])
    if role == "organizer":
        return token(settings, role, centre_id=CENTRE[side], subject=f"staff-{CENTRE[side]}")
    if role == "regional":
        return token(settings, role, region=REGION[side], subject=f"rc-{REGION[side]}")
    return token(settings, role, subject="root")


@dataclass(frozen=True)
class Rule:
    """Who may call a route and what everyone else gets.

    `roles` may call it (admin always) on their own tenant's objects, answered `ok`; another tenant's object is
    answered `other` (or `ok` when the route's objects belong to no tenant, `tenant=False`); a role not in
    `roles` gets `wrong_role`, the anonymous caller `anonymous`. `exceptions` overrides single cells (principal,
    side) where the code deliberately answers otherwise; `suspect` names cells whose current answer (kept in
    `exceptions` so the test stays green) looks wrong for tenant isolation — listed in the report, not endorsed.
    """

    ok: int = 200
    roles: frozenset[str] = frozenset()
    tenant: bool = True
    anonymous: int = 401
    wrong_role: int = 403
    other: int = 404
    exceptions: dict[Key, int] = field(default_factory=dict)
    suspect: dict[Key, str] = field(default_factory=dict)

    def expected(self, principal: str, side: str) -> int:
        if (principal, side) in self.exceptions:
            return self.exceptions[principal, side]
        if principal == "anonymous":
            return self.anonymous
        if principal == "admin":
            return self.ok
        if ROLE[principal] not in self.roles:
            return self.wrong_role
        if not self.tenant or HOME[principal] == side:
            return self.ok
        return self.other

    def but(self, exceptions: dict[Key, int] | None = None, **changes: Any) -> Rule:
        """This rule with some cells or fields changed."""
        merged = {**self.exceptions, **(exceptions or {})}
        return Rule(**{**self.__dict__, "exceptions": merged, **changes})


def may(*roles: str, ok: int = 200, **options: Any) -> Rule:
    """Only `roles` (and admin), each on its own tenant's objects."""
    return Rule(ok=ok, roles=frozenset(roles), **options)


def anyone(ok: int = 200, **options: Any) -> Rule:
    """Public: every caller, the anonymous one included, on every tenant's objects."""
    return Rule(ok=ok, roles=frozenset(ROLE.values()) - {None}, tenant=False, anonymous=ok, **options)


def signed_in(ok: int = 200, **options: Any) -> Rule:
    """Any token, on any tenant's objects (the answer's content is the caller's own)."""
    return Rule(ok=ok, roles=frozenset(ROLE.values()) - {None}, tenant=False, **options)


Objects = dict[str, str]
Body = Callable[[Objects], Any] | dict[str, Any] | None


@dataclass(frozen=True)
class Call:
    """One route of the matrix: how to call it on a tenant's objects and the rule its answers follow.

    `body(objects)` (or a dict) is a body that passes validation, so that authorization decides. `fresh` routes
    change what they act on when they succeed: each call expected to succeed gets new objects of its tenant.
    `url` is the path with the objects to use when it differs from the route's template. A call that names no
    object acts on the caller's own tenant. `hides` names an object of the other tenant that no answer to a
    tenant's principal may contain (a list filtered by tenant).
    """

    method: str
    path: str
    rule: Rule
    body: Body = None
    params: Callable[[Objects], dict[str, Any]] | dict[str, Any] | None = None
    fresh: bool = False
    url: str | None = None
    stream: bool = False
    hides: str | None = None
    csv: str | None = None  # a text/csv body instead of JSON
    raw: bytes | None = None  # a body of bytes (a file) instead of JSON

    @property
    def key(self) -> tuple[str, str]:
        return self.method.lower(), self.path

    @property
    def names(self) -> set[str]:
        """The objects the call names in its URL."""
        return {name for _, name, _, _ in string.Formatter().parse(self.url or self.path) if name}

    @property
    def sided(self) -> bool:
        return bool(self.names) or callable(self.body) or callable(self.params)


class World:
    """A service's objects of two tenants; `fresh(side)` makes new ones (a route that consumes them)."""

    objects: dict[str, Objects]
    streams: httpx.AsyncClient | None = None  # the app on a real socket, for endless streams

    async def fresh(self, side: str, names: set[str]) -> Objects:  # pragma: no cover - overridden when needed
        """New objects of a tenant: at least those named (a route's success consumes them)."""
        raise NotImplementedError


def crossed(objects: dict[str, Objects]) -> dict[str, Objects]:
    """Each tenant's objects with the other tenant's beside them as `other_<name>`: for calls that name an own
    object and another tenant's together (a registration of Y under X's fair), which nobody may make succeed."""
    return {side: {**mine, **{f"other_{k}": v for k, v in objects["y" if side == "x" else "x"].items()}}
            for side, mine in objects.items()}


def nobody(*roles: str, status: int = 404, **options: Any) -> Rule:
    """A call that mixes two tenants' objects: refused (`status`) to the route's `roles` and the admin alike, the
    first object's owner included; other roles are refused for their role (403)."""
    return Rule(ok=status, roles=frozenset(roles), tenant=False, **options)


def coverage_problems(app: Any, calls: list[Call], extra: Sequence[Call] = ()) -> list[str]:
    """Routes of the app without an entry, entries naming no route of the app, routes with two entries. `extra`
    calls (more objects for routes that have their entry) must name routes of the app too."""
    routes = {(op.method, op.path) for op in operations(app)}
    entries = [c.key for c in calls]
    stray = sorted({c.key for c in extra} - routes)
    missing = sorted(routes - set(entries))
    unknown = sorted(set(entries) - routes)
    twice = sorted({k for k in entries if entries.count(k) > 1})
    return ([f"no entry: {m.upper()} {p}" for m, p in missing] + [f"no such route: {m.upper()} {p}" for m, p in unknown]
            + [f"two entries: {m.upper()} {p}" for m, p in twice]
            + [f"extra call to no route: {m.upper()} {p}" for m, p in stray])


@dataclass
class Answer:
    call: Call
    principal: str
    side: str
    expected: int
    got: int
    text: str

    leaked: str = ""

    def __str__(self) -> str:
        if self.leaked:
            return f"{self.call.method} {self.call.path} as {self.principal} shows the other tenant's {self.leaked}"
        return (f"{self.call.method} {self.call.path} as {self.principal} on {self.side}'s object: "
                f"expected {self.expected}, got {self.got} {self.text[:160]}")


async def send(client: httpx.AsyncClient, call: Call, objects: Objects, headers: dict[str, str],
               streams: httpx.AsyncClient | None = None) -> httpx.Response:
    path = (call.url or call.path).format(**objects)
    body = call.body(objects) if callable(call.body) else call.body
    params = call.params(objects) if callable(call.params) else call.params
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if body is not None:
        kwargs["json"] = body
    if call.raw is not None:
        kwargs["content"] = call.raw
    if call.csv is not None:
        kwargs.update(content=call.csv.encode(), headers={**headers, "Content-Type": "text/csv"})
    if call.stream:  # an answer let in would never end (on a real socket): its status is enough
        assert streams is not None, "a stream needs World.streams"
        async with streams.stream(call.method, path, **kwargs) as res:
            if res.status_code >= 300:
                await res.aread()
            return res
    return await client.request(call.method, path, **kwargs)


def cookie_of(settings: Any, principal: str) -> dict[str, str]:
    """A principal logged in to the portal: its token in the portal's cookie."""
    bearer = headers_of(settings, principal).get("Authorization", "")
    return {"Cookie": f"hangviet_token={bearer.removeprefix('Bearer ')}"} if bearer else {}


async def run_matrix(client: httpx.AsyncClient, settings: Any, world: World, calls: list[Call],
                     principals: tuple[str, ...] = PRINCIPALS,
                     auth: Callable[[Any, str], dict[str, str]] = headers_of) -> tuple[list[Answer], int]:
    """Every call as every principal on both tenants' objects: (the answers that differ, how many calls)."""
    wrong: list[Answer] = []
    made = 0
    for call in calls:
        for principal in principals:
            for side in SIDES if call.sided else (HOME.get(principal, "x"),):
                expected = call.rule.expected(principal, side)
                objects = world.objects[side]
                if call.fresh and 200 <= expected < 300:
                    objects = await world.fresh(side, call.names)
                res = await send(client, call, objects, auth(settings, principal), world.streams)
                made += 1
                if res.status_code != expected:
                    wrong.append(Answer(call, principal, side, expected, res.status_code, res.text))
                if call.hides and principal in HOME:
                    other = world.objects["y" if HOME[principal] == "x" else "x"][call.hides]
                    if other in res.text:
                        wrong.append(Answer(call, principal, side, expected, res.status_code, "", call.hides))
    return wrong, made


async def forged_token_answers(client: httpx.AsyncClient, app: Any, world: World, calls: list[Call]) -> list[str]:
    """Every call with a token signed by another key, on tenant x's objects: a route that reads tokens (required
    or optional, `shared.openapi.auth_of`) refuses it, 401; one that reads none answers as to the anonymous."""
    kinds = {(op.method, op.path): auth_of(op) for op in operations(app)}
    forged = {"Authorization": f"Bearer {issue_token('another-key-' + 'x' * 32, role='admin', subject='root')}"}
    wrong = []
    for call in calls:
        expected = 401 if kinds[call.key] != "none" else call.rule.expected("anonymous", "x")
        res = await send(client, call, world.objects["x"], forged, world.streams)
        if res.status_code != expected:
            wrong.append(f"{call.method} {call.path} with a forged token: expected {expected}, got {res.status_code}")
    return wrong


def suspects(calls: list[Call]) -> list[str]:
    """The cells marked as looking wrong, for the report."""
    return [f"{c.method} {c.path} as {p} on {s}'s object → {c.rule.exceptions.get((p, s))}: {why}"
            for c in calls for (p, s), why in c.rule.suspect.items()]

