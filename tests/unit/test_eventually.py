"""tests/eventually.py: the pauses between polls — quick at first, then at most a tenth of a second."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import tests.eventually as module
from tests.eventually import eventually


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(module.asyncio, "sleep", sleep)
    return recorded


def after(polls: int) -> Callable[[], bool | None]:
    """A probe that holds from its `polls`-th call on."""
    calls = iter(range(1, 10_000))
    return lambda: next(calls) >= polls or None


async def test_what_holds_at_once_is_returned_without_a_pause(pauses: list[float]) -> None:
    assert await eventually(lambda: "done") == "done"
    assert pauses == []


async def test_the_pauses_grow_by_half_from_20_ms_up_to_100_ms(pauses: list[float]) -> None:
    await eventually(after(10))
    assert pauses == pytest.approx([0.02, 0.03, 0.045, 0.0675, 0.1, 0.1, 0.1, 0.1, 0.1])


async def test_a_given_interval_is_kept(pauses: list[float]) -> None:
    await eventually(after(4), interval=0.5)
    assert pauses == [0.5, 0.5, 0.5]


async def test_it_fails_naming_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0\.05s waiting for the thing; last value: None"):
        await eventually(lambda: None, timeout=0.05, what="the thing")
