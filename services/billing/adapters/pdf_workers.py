"""Where billing's PDFs are drawn: in a worker process, never in the service's own.

Drawing an invoice is 25–40 ms of pure-Python CPU (fpdf2). In the event loop it stopped the consumer and every
request for as long; on a thread it still holds the GIL, which the loop and aiosqlite's thread need for every
statement: with PDFs drawn on a thread beside it, eight SQLite statements took p99 17.9 ms instead of 0.4–0.9 ms
(measured on this 2-core machine). A process of its own takes the CPU, not the GIL.

Two workers, started on first use, one process each:
- `BACKGROUND`, for the e-invoice submitter: Linux's idle class (SCHED_IDLE), CPU nothing else wants; it may lag
  behind under load, which nobody waits on.
- `ON_REQUEST`, for a PDF someone asked for over HTTP (a person, or notifications attaching it to a mail): at
  nice 5, so the request is answered under load, yet automated fetches in bulk yield to the saga's services.

fpdf2 and what it brings (Pillow, fontTools, numpy: 27 MiB) are imported by the workers only: what billing hands
them (`draw_invoice`, `draw_cancellation`) imports the renderer when it runs there.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, TypeVar

import structlog

if TYPE_CHECKING:
    from services.billing.models import Invoice, InvoiceCancellation
    from services.billing.service.queries import InvoiceView

log = structlog.get_logger()
T = TypeVar("T")


def _idle_class() -> None:
    """The lowest class Linux has (SCHED_IDLE): the worker runs only on a core nothing else wants. At nice 10
    it still took a tenth of a busy core from the services and stretched the saga's latency under load."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.nice(19)


def _nice_5() -> None:
    os.nice(5)


def _ready() -> None:
    """Nothing: run once so the worker process exists (spawned) before the first real work."""


class WorkerProcess:
    """One worker process (spawned on first use, again after it died) that runs picklable callables.

    `lower` (the class or niceness) is applied to a thread of its own that then spawns the worker: on Linux both
    belong to the thread, and a child inherits those of the thread that forked it. So the worker is lowered from
    its first instruction, its start included — about a second of CPU importing billing's modules, which, lowered
    only once started (a pool initializer), ran at the services' priority beside the first sagas of a spell."""

    def __init__(self, name: str, lower: Callable[[], None]) -> None:
        self.name = name
        self._lower = lower
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in the worker. Raises BrokenProcessPool when the worker died meanwhile (killed, out of
        memory); the next call starts a new one."""
        if self._pool is None:
            started = await asyncio.to_thread(self._start_lowered)
            if self._pool is None:
                self._pool = started
            else:  # another call started one meanwhile (no lock: a module's asyncio.Lock binds to one loop)
                started.shutdown(wait=False)
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, work)
        except BrokenProcessPool:
            log.warning("billing.pdf_worker_died", worker=self.name)
            if self._pool is pool:
                self._pool = None
            raise

    def _start_lowered(self) -> ProcessPoolExecutor:
        """A pool whose process was spawned by a thread made for it and lowered first (blocks until it runs)."""
        outcome: list[ProcessPoolExecutor | BaseException] = []

        def start() -> None:
            self._lower()
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            try:
                pool.submit(_ready).result()
            except BaseException as exc:  # handed to the caller
                pool.shutdown(wait=False, cancel_futures=True)
                outcome.append(exc)
                return
            outcome.append(pool)

        thread = threading.Thread(target=start, name=f"pdf-worker-{self.name}-start", daemon=True)
        thread.start()
        thread.join()
        if not outcome:
            raise BrokenProcessPool(f"the {self.name} PDF worker did not start")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def stop(self) -> None:
        """End the worker, if one runs (tests; the process's exit ends it too)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


BACKGROUND = WorkerProcess("background", _idle_class)
ON_REQUEST = WorkerProcess("on_request", _nice_5)


async def render_on_request(render: Callable[[], bytes]) -> bytes:
    """A PDF someone waits for, drawn by `ON_REQUEST`; a worker that died on the way is replaced and asked again
    once (the request is not failed for a worker killed under it)."""
    try:
        return await ON_REQUEST.run(render)
    except BrokenProcessPool:
        return await ON_REQUEST.run(render)


def draw_invoice(view: InvoiceView) -> bytes:
    """The invoice's PDF, drawn where this runs (a worker): the renderer is imported there, not by billing."""
    from services.billing.adapters.pdf import render_invoice

    return render_invoice(view)


def draw_cancellation(invoice: Invoice, cancellation: InvoiceCancellation) -> bytes:
    """The cancellation document's PDF, drawn where this runs (a worker)."""
    from services.billing.adapters.pdf import render_cancellation

    return render_cancellation(invoice, cancellation)
