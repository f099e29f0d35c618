"""Background loops that stop when asked, and a stop that cannot hang.

A cancellation can be swallowed by a library in an await a loop makes (seen under load on PostgreSQL: a service's
hold sweeper, cancelled at shutdown, kept sweeping every 50 ms and the app's shutdown waited for it forever — two
300 s test timeouts in CI). So a loop checks, after each round, whether its task is being cancelled, and the
runtime's stop cancels again, a bounded number of times, any task that did not end, saying which and where.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable

import structlog

log = structlog.get_logger()


def raise_if_cancelling() -> None:
    """Raise CancelledError when the current task was asked to stop (even if the request was swallowed)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def stop_tasks(tasks: Iterable[asyncio.Task[None]], *, grace_s: float = 2.0, attempts: int = 10) -> None:
    """Cancel `tasks` and wait for them to end; a task still running after `grace_s` is cancelled again (with
    a warning naming it and where it waits), up to `attempts` times, then left behind with an error logged."""
    pending = {task for task in tasks if not task.done()}
    for task in pending:
        task.cancel()
    for _ in range(attempts):
        if not pending:
            break
        _, pending = await asyncio.wait(pending, timeout=grace_s)
        for task in pending:
            log.warning("runtime.task_ignored_cancel", task=task.get_name(), stack=_stack(task))
            task.cancel()
    if pending:
        log.error("runtime.tasks_left_running", tasks=[task.get_name() for task in pending])
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning("runtime.task_failed", task=task.get_name(), error=repr(task.exception()))


def _stack(task: asyncio.Task[None]) -> str:
    buffer = io.StringIO()
    task.print_stack(limit=8, file=buffer)
    return buffer.getvalue()
