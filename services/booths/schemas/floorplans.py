"""Request and response bodies of floor plans and zones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.booths.domain.floorplan import BOOTH_SIZE_M
from services.booths.domain.rules import BoothStatus
from services.booths.schemas.common import In
from shared.text import NAME, TEXT


class ZoneIn(In):
    """A sector zone (`sectors` it is for) or a province pavilion (`province`: code or name, old names too)."""

    code: str = Field(pattern=r"^[A-Za-z0-9._-]{1,20}$")
    name: Annotated[str, Field(max_length=200), NAME] = ""
    kind: Literal["sector", "pavilion"]
    sectors: list[Annotated[str, TEXT]] = Field(default_factory=list, max_length=50)
    province: str | None = Field(default=None, max_length=100)


class ZoneArea(In):
    """Which booths of a hall belong to a zone: whole rows and/or single booths (codes without the hall)."""

    zone: str = Field(max_length=20)
    rows: list[str] = Field(default_factory=list, max_length=200)
    booths: list[str] = Field(default_factory=list, max_length=5000)


class HallSpec(In):
    """A hall as a grid of standard booths; reserved cells (a pillar, a stage) keep their place, empty."""

    code: str = Field(default="", pattern=r"^[A-Za-z0-9._]{0,20}$")
    name: Annotated[str, Field(max_length=200), NAME] = ""
    rows: int = Field(gt=0, le=200)
    booths_per_row: int = Field(gt=0, le=500)
    aisle_every: int = Field(default=0, ge=0, le=500, description="a 3 m cross aisle after every N booths")
    reserved: list[str] = Field(default_factory=list, max_length=5000)
    zones: list[ZoneArea] = Field(default_factory=list, max_length=200)


class GridSpec(In):
    """A plan of one or more halls (codes carry the hall's code, `H2-A01`, when there are several)."""

    halls: list[HallSpec] = Field(min_length=1, max_length=20)


class BoothPublic(BaseModel):
    """A booth of the plan; whose it is only for callers allowed to know."""

    code: str
    hall: str
    row: str
    col: int
    x_m: float = Field(description="front-left corner, metres from the hall's left edge")
    y_m: float = Field(description="front-left corner, metres from the hall's front")
    width_m: float
    depth_m: float
    corner: bool
    zone: str | None = None
    status: BoothStatus
    neighbours: list[str] = Field(default_factory=list, description="booths sharing a wall")
    registration_id: str | None = None
    exhibitor_id: str | None = None
    exhibitor_name: str | None = None
    held_until: datetime | None = None


class StatusCounts(BaseModel):
    """How many booths are in each status."""

    free: int
    held: int
    assigned: int
    blocked: int


class ZonePublic(BaseModel):
    """A zone of the plan."""

    code: str
    name: str
    kind: str
    sectors: list[str]
    province_code: str | None = None


class FloorplanPublic(BaseModel):
    """A fair's floor plan."""

    fair_id: str
    name: str
    allocation_mode: str
    booth_size_m: int = BOOTH_SIZE_M
    booth_count: int
    counts: StatusCounts
    zones: list[ZonePublic]
    booths: list[BoothPublic]


class PlanReplaced(BaseModel):
    """A new plan was saved."""

    fair_id: str
    source: str
    booth_count: int
