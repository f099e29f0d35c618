"""Background loops stop when asked, even when an await inside them swallows the cancellation."""

from __future__ import annotations

import asyncio

from shared.tasks import raise_if_cancelling, stop_tasks


async def _swallows_once(rounds: list[int], *, checks: bool) -> None:
    swallowed = False
    while True:
        try:
            await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed = True  # what a library did to the booths hold sweeper: the cancellation vanished
        rounds.append(1)
        if checks:
            raise_if_cancelling()


async def test_a_loop_that_checks_ends_on_the_first_cancel_even_when_it_was_swallowed():
    rounds: list[int] = []
    task = asyncio.create_task(_swallows_once(rounds, checks=True))
    await asyncio.sleep(0.03)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()


async def test_stop_tasks_cancels_again_a_task_that_swallowed_the_first_cancel():
    rounds: list[int] = []
    task = asyncio.create_task(_swallows_once(rounds, checks=False))
    await asyncio.sleep(0.03)
    await stop_tasks([task], grace_s=0.05)
    assert task.cancelled()


async def test_without_a_second_cancel_such_a_task_would_run_on():
    # The failure stop_tasks exists for: one cancel, swallowed, and the loop goes on.
    rounds: list[int] = []
    task = asyncio.create_task(_swallows_once(rounds, checks=False))
    await asyncio.sleep(0.03)
    task.cancel()
    _, pending = await asyncio.wait({task}, timeout=0.1)
    assert task in pending
    await stop_tasks([task], grace_s=0.05)
    assert task.cancelled()


async def test_stop_tasks_reports_a_failed_task_without_raising():
    async def fails() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    await stop_tasks([task], grace_s=0.05)
    assert isinstance(task.exception(), RuntimeError)
