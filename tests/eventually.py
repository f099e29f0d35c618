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


async def eventually(probe: Callable[[], Awaitable[T | None] | T | None], *, timeout: float = 60,
                     interval: float = 0.02, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy (and return it); fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        result = probe()
        last = await result if inspect.isawaitable(result) else result  # type: ignore[assignment]
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        await asyncio.sleep(interval)
