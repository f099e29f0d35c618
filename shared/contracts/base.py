"""The base of every event contract: a Pydantic model that knows its CloudEvents type, topic and key."""

from __future__ import annotations

from abc import abstractmethod
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

CE_TYPE_PREFIX = "vn.hangviet."
Vnd = Annotated[int, Field(ge=0, description="integer VND (no minor unit)")]
ProvinceCode = Annotated[str, Field(pattern=r"^\d{2}$", description="2-digit province code, 34-province map")]
CommuneCode = Annotated[str, Field(pattern=r"^\d{5}$", description="5-digit commune code")]


class Event(BaseModel):
    """An integration event (version 1). Subclasses set `name` and `topic` and say how they are keyed.

    Consumers ignore fields they do not know, so adding an optional field is not a breaking change;
    removing or retyping one is, and gets a `.v2` type published beside this one.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_name: ClassVar[str]
    topic: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def ce_type(cls) -> str:
        """The CloudEvents `type`, e.g. `vn.hangviet.fair.published.v1`."""
        return f"{CE_TYPE_PREFIX}{cls.event_name}.v{cls.version}"

    @abstractmethod
    def key(self) -> str:
        """The Kafka key: every event of one fair (or one market programme) lands on one partition. A contract
        without one cannot be instantiated (pydantic's model class is an ABCMeta)."""

    def subject(self) -> str:
        """The CloudEvents `subject`: the id of the aggregate the event is about."""
        return self.key()


class FairEvent(Event):
    """An event about one fair: keyed by the fair id."""

    fair_id: str

    def key(self) -> str:
        return self.fair_id


class ProgrammeEvent(Event):
    """An event about one market programme: keyed by the programme id."""

    programme_id: str

    def key(self) -> str:
        return self.programme_id
