"""Solver runs in the background of the portal, so the browser can show "đang lập lịch" and poll.

The markets service solves synchronously (up to its time limit, seconds); the portal starts the call as an
asyncio task, answers at once with a waiting page, and the page polls the job's status. Jobs live in the
portal's memory only: they hold no data of their own (the proposal is the service's) and are forgotten a
few minutes after they finish. A job is visible only to the user who started it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger()

KEEP_FINISHED_S = 15 * 60
MAX_JOBS = 200


@dataclass
class PlanJob:
    """One solver call under way, or its outcome."""

    id: str
    owner: str
    programme_id: str
    task: asyncio.Task[Any]
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def state(self) -> str:
        """running, done or failed."""
        if not self.task.done():
            return "running"
        return "failed" if self.task.cancelled() or self.task.exception() is not None else "done"

    @property
    def elapsed_s(self) -> int:
        return int((self.finished or time.monotonic()) - self.started)


def _forget_old(jobs: dict[str, PlanJob]) -> None:
    now = time.monotonic()
    for key in [k for k, j in jobs.items() if j.finished is not None and now - j.finished > KEEP_FINISHED_S]:
        del jobs[key]
    while len(jobs) >= MAX_JOBS:
        oldest = min((j for j in jobs.values() if j.finished is not None), key=lambda j: j.started, default=None)
        if oldest is None:
            break
        del jobs[oldest.id]


def start_job(jobs: dict[str, PlanJob], owner: str, programme_id: str, call: Awaitable[Any]) -> PlanJob:
    """Run the call in the background, kept in `jobs` (the running portal's); the job's id goes into the waiting
    page's URL."""
    _forget_old(jobs)
    job_id = secrets.token_urlsafe(12)
    task: asyncio.Task[Any] = asyncio.ensure_future(call)
    job = PlanJob(id=job_id, owner=owner, programme_id=programme_id, task=task)

    def _finished(done: asyncio.Task[Any]) -> None:
        job.finished = time.monotonic()
        error = None if done.cancelled() else done.exception()  # also marks the exception as retrieved
        log.info("portal.plan_job_finished", job_id=job_id, programme_id=programme_id, seconds=job.elapsed_s,
                 error=type(error).__name__ if error else None)

    task.add_done_callback(_finished)
    jobs[job_id] = job
    log.info("portal.plan_job_started", job_id=job_id, programme_id=programme_id)
    return job


def find_job(jobs: dict[str, PlanJob], job_id: str, owner: str) -> PlanJob | None:
    """The user's own job, or None (someone else's job is not found either)."""
    job = jobs.get(job_id)
    return job if job is not None and job.owner == owner else None
