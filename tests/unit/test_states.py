"""The kernel's transition tables: a move the table does not allow is refused with a 409 invalid-transition."""

from __future__ import annotations

from enum import StrEnum

import pytest

from shared.errors import Rejected
from shared.states import Transitions


class Door(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    LOCKED = "locked"


DOOR = Transitions(("cửa", "door"), {Door.OPEN: {Door.CLOSED}, Door.CLOSED: {Door.OPEN, Door.LOCKED}})


@pytest.mark.parametrize(("current", "target"), [(Door.OPEN, Door.CLOSED), (Door.CLOSED, Door.LOCKED),
                                                 (Door.CLOSED, Door.OPEN), (Door.LOCKED, Door.LOCKED)])
def test_allowed_moves_pass(current, target):
    assert DOOR.can(current, target)
    DOOR.check(current, target)


@pytest.mark.parametrize(("current", "target"), [(Door.OPEN, Door.LOCKED), (Door.LOCKED, Door.OPEN),
                                                 (Door.LOCKED, Door.CLOSED)])
def test_other_moves_are_refused_with_both_languages(current, target):
    assert not DOOR.can(current, target)
    with pytest.raises(Rejected) as refused:
        DOOR.check(current, target)
    assert refused.value.status == 409 and refused.value.code == "invalid-transition"
    message = refused.value.message
    assert f"Không thể chuyển cửa từ '{current}' sang '{target}'" in message and "a door cannot go from" in message


def test_stored_strings_compare_with_the_members():
    assert DOOR.can("closed", "locked") and not DOOR.can("open", "locked")


def test_a_state_reached_only_as_a_target_is_terminal():
    assert DOOR.allowed[Door.LOCKED] == frozenset()
