"""What the routes share: the use-case context and who may call."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.booths.service.store import Context
from shared.auth import Principal, Role, require


def get_ctx(request: Request) -> Context:
    """The service's use-case context."""
    ctx: Context = request.app.state.booths
    return ctx


CtxDep = Annotated[Context, Depends(get_ctx)]
OrganizerOrExhibitor = Annotated[Principal, require(Role.ORGANIZER, Role.EXHIBITOR)]
