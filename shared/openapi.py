"""The OpenAPI document every service publishes: the errors it really sends, in the shape it sends them.

FastAPI documents a `422 HTTPValidationError` it never sends here (every error is RFC 9457 problem+json, see
`shared.problems`) and nothing of the 401/403/404/409 the routes answer. This rewrites each operation's error
responses from what the route is: a route that needs a token answers 401 (no or bad token) and 403 (not its
role, or not its object); one with an optional token is public and answers 401 only to a bad token; a path with
parameters answers 404; a write answers 409 (a rule refused it); any input answers 422 (naming the field). A
status a route documents itself keeps its description; its content becomes the problem schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from shared.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each field at fault.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem (about:blank or "
                                                  "https://hangviet.vn/problems/<code>)"},
        "title": {"type": "string", "description": "Vietnamese / English summary"},
        "status": {"type": "integer", "description": "the HTTP status"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the request path"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string", "description": "the input at fault (dotted path)"},
                           "message": {"type": "string"}, "code": {"type": "string"},
                           "position": {"type": "integer", "description": "character of a broken JSON body"}},
        }},
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "401": "Cần đăng nhập hoặc mã không hợp lệ / no token, or a forged, expired or malformed one",
    "403": "Không có quyền / the caller's role or tenant may not do this",
    "404": "Không tìm thấy / no such object, or one the caller may not see",
    "409": "Bị từ chối theo quy tắc / refused by a rule (state, capacity, conflict)",
    "422": "Dữ liệu không hợp lệ / invalid input: `errors` names each field",
}
WRITES = {"post", "put", "patch", "delete"}
PUBLIC_NOTE = "Công khai / public: no token needed (a token, when sent, must be valid)."


def install_problem_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` document the problem responses the routes send."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            app.openapi_schema = document_problems(schema, _auth_of_routes(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(schema: dict[str, Any], auth: dict[tuple[str, str], str]) -> dict[str, Any]:
    """`schema` with each operation's errors as problem+json; `auth` maps (path, method) to
    "required", "optional" or "none"."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete", "head", "options"}:
                continue
            kind = auth.get((path, method), "none")
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status in _errors_of(path, method, operation, kind):
                own = responses.get(status, {})
                responses[status] = {"description": own.get("description") or DESCRIPTIONS[status],
                                     "content": {PROBLEM_JSON: {"schema": ref}}}
            if kind == "optional":
                operation["security"] = [{}, *operation.get("security", [])]
                operation["description"] = f"{operation.get('description', '')}\n\n{PUBLIC_NOTE}".strip()
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and f"#/components/schemas/{unused}" not in str(schema.get("paths", {})):
            components.pop(unused)
    return schema


def _errors_of(path: str, method: str, operation: dict[str, Any], kind: str) -> Iterator[str]:
    if kind in {"required", "optional"}:
        yield "401"
    if kind == "required":
        yield "403"
    if "{" in path:
        yield "404"
    if method in WRITES:
        yield "409"
    if operation.get("parameters") or operation.get("requestBody") or "422" in operation.get("responses", {}):
        yield "422"


@dataclass(frozen=True)
class Operation:
    """One documented route of an app: its path template, method and dependency tree."""

    path: str
    method: str
    dependant: Dependant


def operations(app: FastAPI) -> list[Operation]:
    """Every documented operation of `app`, included routers flattened (FastAPI nests them)."""
    found = []
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        for method in sorted(context.methods or ()):
            found.append(Operation(context.path_format or "", method.lower(), context.dependant))
    return found


def auth_of(operation: Operation) -> str:
    """"required" (a token), "optional" (public; a token, when sent, is checked) or "none"."""
    names = {getattr(call, "__name__", "") for call in _calls(operation.dependant)}
    return "required" if "current_principal" in names else "optional" if "optional_principal" in names else "none"


def _auth_of_routes(app: FastAPI) -> dict[tuple[str, str], str]:
    # By name, not identity: a service may declare its own optional_principal beside the kernel's.
    return {(op.path, op.method): auth_of(op) for op in operations(app)}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)
