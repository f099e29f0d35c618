"""The one way a test waits for something another task or process does: poll a probe until it holds.

Never a fixed sleep: `eventually()` returns as soon as the probe is truthy and fails, naming `what`, after `timeout`.
The probe may be sync or async.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# Without an `interval` the pauses start at FIRST_PAUSE_S and grow by half each poll up to MAX_PAUSE_S: what holds
# at once is seen at once, and a wait of seconds polls ten times a second, not fifty. A probe is often an HTTP call
# to a service (a new client, a request, a query): at fifty a second it took a good part of a core from the
# processes it waits for, on a two-core CI runner.
FIRST_PAUSE_S = 0.02
MAX_PAUSE_S = 0.1


async def eventually(probe: Callable[[], Awaitable[T | None] | T | None], *, timeout: float = 60,
                     interval: float | None = None, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy (and return it); fail with `what` after `timeout` seconds.
    Polls every `interval` seconds when given, else from 20 ms growing to 0.1 s."""
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE_S if interval is None else interval
    last: T | None = None
    while True:
        result = probe()
        last = await result if inspect.isawaitable(result) else result  # type: ignore[assignment]
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        await asyncio.sleep(pause)
        if interval is None:
            pause = min(pause * 1.5, MAX_PAUSE_S)
