"""Billing draws PDFs in worker processes: the submitter's in the idle class, a requested one at nice 5, and a
worker that died is replaced; billing itself starts without the PDF and workbook libraries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from functools import partial

import pytest

from services.billing.adapters.pdf_workers import WorkerProcess, _nice_5, render_on_request

pytestmark = [pytest.mark.sqlite_only(reason="the PDF workers read no database"), pytest.mark.integration]


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    made = WorkerProcess("test", _nice_5)
    yield made
    made.stop()


async def test_a_requested_pdf_is_drawn_in_another_process_at_a_lower_priority() -> None:
    pid = await render_on_request(os.getpid)  # type: ignore[arg-type]
    niceness = await render_on_request(partial(os.nice, 0))  # type: ignore[arg-type]
    assert pid != os.getpid(), "not on a thread of the service: a process of its own, the GIL untouched"
    assert niceness == os.nice(0) + 5


async def test_a_worker_that_died_is_replaced_by_the_next_call(worker: WorkerProcess) -> None:
    first = await worker.run(os.getpid)
    os.kill(first, signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        for _ in range(100):  # the pool notices the death on a call soon after
            await worker.run(os.getpid)
    second = await worker.run(os.getpid)
    assert second not in (first, os.getpid())


def test_billing_starts_without_the_pdf_and_workbook_libraries() -> None:
    """fpdf2 (with Pillow, fontTools, numpy) is for the workers, openpyxl for the first workbook asked for: some
    47 MiB a billing process no longer holds from its start."""
    heavy = ("fpdf", "openpyxl", "PIL", "numpy", "fontTools")
    code = ("import sys; from shared.settings import load_settings; from services.billing.app import create_app; "
            f"create_app(load_settings('billing')); print(sorted(m for m in {heavy!r} if m in sys.modules))")
    started = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert started.stdout.strip() == "[]", started.stdout
